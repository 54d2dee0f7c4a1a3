import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { DatasetFormatError } from './errors.js';

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
