import { createGunzip } from 'node:zlib';
import { DatasetFormatError } from './errors.js';
import { readDatasetFile } from './files.js';
import { decompressedLimit, describeLimit, formatBytes } from './limits.js';

/** Deflate turns one byte into at most 1032 (a 258-byte match per 2 bits): a little more, for headers. */
const DEFLATE_MAX_RATIO = 1040;

/**
 * Reads a file and gunzips it when it starts with the gzip magic; returns both the file's own bytes
 * (for its SHA-256) and the content. A gzip file may grow to {@link decompressedLimit} of its size: the size
 * its trailer declares is checked before inflating, and inflating stops as soon as the output passes the limit.
 *
 * @example
 * const { content } = await readMaybeGzip('train-images-idx3-ubyte.gz');
 */
export async function readMaybeGzip(path: string): Promise<{ bytes: Uint8Array; content: Uint8Array }> {
  const bytes = await readDatasetFile(path);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return { bytes, content: bytes };
  return { bytes, content: await gunzipWithin(bytes, path) };
}

/**
 * Gunzips `bytes` into at most {@link decompressedLimit}`(bytes.length)` bytes, or throws a
 * {@link DatasetFormatError} naming `file`: a corrupt stream, or output past the limit.
 *
 * @example
 * const content = await gunzipWithin(gzipSync(encodeIdx([1, 28, 28], pixels)), 'one.idx.gz'); // 800 bytes
 */
export async function gunzipWithin(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  const limit = decompressedLimit(bytes.length);
  // The trailer's ISIZE: the last member's size modulo 2^32. Honest files are refused here, before inflating.
  const declared =
    bytes.length >= 18 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 4, true) : 0;
  if (declared > DEFLATE_MAX_RATIO * bytes.length) {
    // more than deflate can make of these bytes: not a trailer at all, so the file was cut short
    throw new DatasetFormatError(file, 'is a truncated or corrupt gzip file (no gzip trailer at its end)');
  }
  if (declared > limit) {
    throw new DatasetFormatError(
      file,
      `declares ${formatBytes(declared)} uncompressed in its gzip trailer, more than ${describeLimit(bytes.length)}`,
    );
  }
  let output = new Uint8Array(Math.max(declared, 64 * 1024));
  let size = 0;
  const gunzip = createGunzip();
  await new Promise<void>((resolve, reject) => {
    gunzip.on('data', (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        gunzip.destroy();
        reject(new DatasetFormatError(file, `grows past ${describeLimit(bytes.length)}`));
        return;
      }
      if (size + chunk.length > output.length) {
        const grown = new Uint8Array(Math.min(limit, Math.max(output.length * 2, size + chunk.length)));
        grown.set(output.subarray(0, size));
        output = grown;
      }
      output.set(chunk, size);
      size += chunk.length;
    });
    gunzip.once('end', resolve);
    gunzip.once('error', (error) => {
      reject(
        new DatasetFormatError(file, `is a truncated or corrupt gzip file (${error.message})`, {
          cause: error,
        }),
      );
    });
    gunzip.end(bytes);
  });
  return output.subarray(0, size);
}
