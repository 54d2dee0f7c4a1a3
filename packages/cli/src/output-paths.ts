// Every command that writes checks its output paths here, before any work: what exists is not replaced
// without --force unless it is cnnx's own output of the same kind, and a folder that cannot be written is
// reported at once, not after minutes of training.
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CliError } from './errors.js';

/** One path a command is about to write. */
export interface OutputPath {
  /** The flag that named it, for the message: `--out`, `--report`. */
  flag: string;
  /** The path as the user gave it. */
  path: string;
  /** A file (`export --out`) or a folder (`train --out`, `--report`). */
  kind: 'file' | 'folder';
  /** `--force` was given: an existing path may be replaced. */
  force: boolean;
  /**
   * Whether an existing path is cnnx's own output of this kind, refreshed without `--force` (an empty folder
   * always is). Absent: nothing that exists is refreshed without `--force`.
   */
  isOwnOutput?: (path: string) => Promise<boolean>;
  /** What the command refreshes, for the message: "an ONNX file written by cnnx". */
  ownOutput?: string;
  /** What else the user may do, for the message (default "choose another path"). */
  alternative?: string;
}

/** What {@link checkOutputPath} found: nothing there yet, cnnx's own output to refresh, or a forced replacement. */
export type OutputState = 'new' | 'refresh' | 'forced';

async function statOrNull(path: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  return stat(path).catch(() => null);
}

/**
 * Checks one output path before the command does any work, and throws a {@link CliError} (exit 1) with one
 * line when it may not or cannot be written: it exists and is not cnnx's own output of this kind (the line
 * names `--force`), it is a file where a folder is wanted or the other way round, a folder on the way is a
 * file, or the folder it goes into is not writable.
 *
 * @example
 * await checkOutputPath({ flag: '--out', path: 'notes.txt', kind: 'file', force: false, isOwnOutput: isCnnxOnnx });
 * // throws: "--out notes.txt exists and is not an ONNX file written by cnnx; choose another path or pass --force to replace it"
 */
export async function checkOutputPath(output: OutputPath): Promise<OutputState> {
  const { flag, path, kind } = output;
  const absolute = resolve(path);
  const existing = await statOrNull(absolute);
  let state: OutputState = 'new';
  if (existing) {
    if (kind === 'file' && existing.isDirectory()) {
      throw new CliError(`${flag} ${path} is a folder; expected a file name to write`);
    }
    if (kind === 'folder' && !existing.isDirectory()) {
      throw new CliError(`${flag} ${path} is a file; expected a folder to write into`);
    }
    const empty = kind === 'folder' && (await readdir(absolute)).length === 0;
    if (empty) state = 'new';
    else if (output.isOwnOutput && (await output.isOwnOutput(absolute).catch(() => false))) state = 'refresh';
    else if (output.force) state = 'forced';
    else {
      const what = output.ownOutput ? ` and is not ${output.ownOutput}` : '';
      throw new CliError(
        `${flag} ${path} exists${what}; ${output.alternative ?? 'choose another path'} or pass --force to replace it`,
      );
    }
  }
  await checkWritable(flag, path, kind === 'folder' && existing ? absolute : dirname(absolute));
  return state;
}

/** Throws unless `folder`, or the nearest folder above it that exists, is a folder this process may write in. */
async function checkWritable(flag: string, path: string, folder: string): Promise<void> {
  let current = folder;
  for (;;) {
    const info = await statOrNull(current);
    if (info) {
      if (!info.isDirectory()) {
        throw new CliError(`${flag} ${path}: ${current} is a file, so no folder can be made there`);
      }
      try {
        await access(current, constants.W_OK | constants.X_OK);
      } catch {
        throw new CliError(`${flag} ${path}: cannot write in ${current} (permission denied)`);
      }
      return;
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/**
 * Whether `folder` holds only files a cnnx report writes (`names` tells them) and its `page` (report.html,
 * predictions.html, compare.html) was written by cnnx: such a folder is refreshed without `--force`.
 *
 * @example
 * await isCnnxReportFolder('runs/eval', 'report.html', (name) => /\.(png|svg|html)$/.test(name)); // true
 */
export async function isCnnxReportFolder(
  folder: string,
  page: string,
  names: (name: string) => boolean,
): Promise<boolean> {
  const entries = await readdir(folder);
  if (!entries.includes(page) || !entries.every(names)) return false;
  return isCnnxPage(resolve(folder, page));
}

/** Whether an HTML file carries the footer every cnnx report page ends with. */
async function isCnnxPage(file: string): Promise<boolean> {
  const html = await readFile(file, 'utf8');
  return /<footer><p>Written by cnnx on [0-9T:.Z-]+\.<\/p><\/footer>/.test(html);
}

/** A report folder's figures: PNG and SVG files named in lowercase words. */
export function isFigureName(name: string): boolean {
  return /^[a-z0-9-]+\.(png|svg)$/.test(name);
}

/** What `--force` says in each command's help: what is replaced, and what is refreshed without it. */
export const FORCE_HELP = {
  file: (own: string) => `replace an existing file at --out (${own} is refreshed without it)`,
  folder: (flag: string, own: string) =>
    `write into an existing ${flag} folder, replacing files of the same names (${own} is refreshed without it)`,
} as const;
