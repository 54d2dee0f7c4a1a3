import { writeFileAtomic } from '@cnnx/data';

export { writeFileAtomic };

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
