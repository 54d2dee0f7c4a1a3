import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
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
  await removeStaleTemporaries(path);
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Whether process `pid` is gone (a process of another user that still runs counts as alive). */
function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes what an earlier cnnx process that was killed (SIGKILL, a power cut) left beside `path` while writing
 * it: `NAME.<pid>.<hex>.tmp` files and `NAME.tmp-<pid>-<hex>` folders of processes that no longer run, and
 * `NAME.old-<pid>-<hex>` folders once `NAME` stands again (before that, the old folder is the only copy).
 * Temporaries of processes that still run, and every other file, are left alone.
 *
 * @example
 * await removeStaleTemporaries('runs/a/model.onnx'); // removes runs/a/model.onnx.4242.9f3a1c2e.tmp if pid 4242 is gone
 */
export async function removeStaleTemporaries(path: string): Promise<void> {
  const name = basename(path);
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const pattern = /^\.(?:(\d+)\.[0-9a-f]{8}\.tmp|(tmp|old)-(\d+)-[0-9a-f]{8})$/;
  let standing: boolean | undefined;
  for (const entry of names) {
    if (!entry.startsWith(name)) continue;
    const match = pattern.exec(entry.slice(name.length));
    if (!match) continue;
    const pid = Number(match[1] ?? match[3]);
    if (pid === process.pid || !processIsGone(pid)) continue;
    if (match[2] === 'old') {
      standing ??= await stat(path).then(
        () => true,
        () => false,
      );
      if (!standing) continue;
    }
    await rm(join(dirname(path), entry), { recursive: true, force: true });
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
 * With `merge`, an existing `DIR` is kept: once everything is written, each top-level entry is renamed into it
 * (replacing entries of the same name) and the folder's other files stay. Nothing reaches `DIR` unless all of
 * it was written.
 *
 * @example
 * await writeFolderAtomic('runs/a/model', { 'model.json': '{…}', 'weights.bin': bytes });
 * await writeFolderAtomic('triton/mnist/1', { 'model.onnx': onnx });
 * await writeFolderAtomic('runs/eval', async (folder) => writeReport(folder, report), { merge: true });
 */
export async function writeFolderAtomic(
  dir: string,
  contents: FolderContents,
  options: { merge?: boolean } = {},
): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  await removeStaleTemporaries(dir);
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
    if (options.merge && (await isFolder(dir))) {
      await moveEntries(temporary, dir, suffix);
      await rm(temporary, { recursive: true, force: true });
      return;
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

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** Renames each entry of `from` into `into`; a folder of the same name is moved aside first, then removed. */
async function moveEntries(from: string, into: string, suffix: string): Promise<void> {
  for (const entry of await readdir(from)) {
    const target = join(into, entry);
    if (await isFolder(target)) {
      const aside = `${target}.old-${suffix}`;
      await rename(target, aside);
      await rename(join(from, entry), target);
      await rm(aside, { recursive: true, force: true });
    } else await rename(join(from, entry), target);
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
