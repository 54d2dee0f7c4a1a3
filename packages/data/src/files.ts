import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DatasetFormatError, PathOutsideFolderError } from './errors.js';

/**
 * SHA-256 of bytes, as lowercase hex.
 *
 * @example
 * sha256(new TextEncoder().encode('abc')); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads a whole file, turning "does not exist", "is a folder" and "is empty" into a
 * {@link DatasetFormatError} that names the file.
 *
 * @example
 * const bytes = await readDatasetFile('data/train.csv');
 */
export async function readDatasetFile(path: string): Promise<Uint8Array> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new DatasetFormatError(path, 'does not exist', { cause: error });
  }
  if (info.isDirectory()) throw new DatasetFormatError(path, 'is a folder, expected a file');
  if (info.size === 0) throw new DatasetFormatError(path, 'is empty');
  const bytes = await readFile(path);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Writes a file through a temporary name in the same folder and renames it into place, so a failure
 * never leaves a half-written file and no reader sees one.
 *
 * @example
 * await writeFileAtomic('runs/quickstart/metrics.json', JSON.stringify(metrics));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** What {@link writeFolderAtomic} puts in a folder: files by relative path, or a function that writes them. */
export type FolderContents = Record<string, string | Uint8Array> | ((folder: string) => Promise<void>);

/**
 * Writes a whole folder atomically: the contents go to `DIR.tmp-*` beside it first, then that folder is
 * renamed into place (an earlier `DIR` is moved aside and removed only once the new one stands), so a crash
 * or a failed write leaves either the old folder or the new one, never a half-written one. `contents` is a
 * map of relative paths (subfolders are made) or a function that writes into the folder it is given.
 *
 * @example
 * await writeFolderAtomic('runs/a/model', { 'model.json': '{…}', 'weights.bin': bytes });
 * await writeFolderAtomic('triton/mnist', { 'config.pbtxt': config, '1/model.onnx': onnx });
 * await writeFolderAtomic('runs/quickstart', async (folder) => writeReport(folder, report));
 */
export async function writeFolderAtomic(dir: string, contents: FolderContents): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporary = `${dir}.tmp-${suffix}`;
  const previous = `${dir}.old-${suffix}`;
  try {
    await mkdir(temporary);
    if (typeof contents === 'function') await contents(temporary);
    else {
      for (const [name, content] of Object.entries(contents)) {
        const path = join(temporary, name);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content);
      }
    }
    let replaced = false;
    try {
      await rename(dir, previous);
      replaced = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    try {
      await rename(temporary, dir);
    } catch (error) {
      if (replaced) await rename(previous, dir).catch(() => {});
      throw error;
    }
    if (replaced) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/** Whether `path`, relative to a folder, stays inside it. */
function staysInside(path: string): boolean {
  return path !== '' && path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}

/**
 * Resolves a path that a file names relative to its own folder (a weights shard in `model.json`, say), and
 * throws a {@link PathOutsideFolderError} naming `file` when it leads outside `folder`: an absolute path, `..`
 * segments, a NUL byte, or a symbolic link whose target lies elsewhere. Returns the absolute path.
 *
 * @example
 * await resolveInsideFolder('runs/a/model', 'weights.bin', 'runs/a/model/model.json'); // '/home/ada/runs/a/model/weights.bin'
 * await resolveInsideFolder('runs/a/model', '../../../../etc/passwd', 'runs/a/model/model.json'); // throws
 */
export async function resolveInsideFolder(folder: string, name: string, file: string): Promise<string> {
  const base = resolve(folder);
  const target = resolve(base, name);
  if (name.includes('\0') || isAbsolute(name) || !staysInside(relative(base, target))) {
    throw new PathOutsideFolderError(file, name, base);
  }
  // a link inside the folder may still point out of it: compare where both really are
  const realBase = await realpath(base).catch(() => base);
  const realTarget = await realpath(target).catch(() => undefined);
  if (realTarget !== undefined && !staysInside(relative(realBase, realTarget))) {
    throw new PathOutsideFolderError(file, name, base);
  }
  return target;
}
