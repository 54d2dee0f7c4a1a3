import { gunzipSync } from 'node:zlib';
import { DatasetFormatError } from './errors.js';
import { readDatasetFile } from './files.js';

/**
 * Reads a file and gunzips it when it starts with the gzip magic; returns both the file's own bytes
 * (for its SHA-256) and the content.
 *
 * @example
 * const { content } = await readMaybeGzip('train-images-idx3-ubyte.gz');
 */
export async function readMaybeGzip(path: string): Promise<{ bytes: Uint8Array; content: Uint8Array }> {
  const bytes = await readDatasetFile(path);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return { bytes, content: bytes };
  try {
    const content = gunzipSync(bytes);
    return { bytes, content: new Uint8Array(content.buffer, content.byteOffset, content.byteLength) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatasetFormatError(path, `is a truncated or corrupt gzip file (${reason})`, { cause: error });
  }
}
