import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a file through a temporary name in the same folder and renames it into place, so a failure
 * never leaves a half-written file behind.
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

/** Writes `value` as indented JSON, atomically (see {@link writeFileAtomic}). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Human-readable progress and summaries go to stderr, so `--json` output on stdout stays one document. */
export function say(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Prints one JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
