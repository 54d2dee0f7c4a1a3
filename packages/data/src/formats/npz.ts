// Node only: zip reading with yauzl (node:zlib underneath).
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { DatasetFormatError } from '../errors.js';
import { decompressedLimit, describeLimit, formatBytes } from '../limits.js';
import { type NpyArray, parseNpy } from './npy.js';

/** Options of {@link parseNpz}. */
export interface ParseNpzOptions {
  /** Which arrays (names without `.npy`) to read; the others are listed but never inflated. Default: all. */
  select?: (name: string) => boolean;
}

/** The arrays read from an `.npz`, and the names of all the arrays it holds. */
export interface NpzContents {
  arrays: Record<string, NpyArray>;
  names: string[];
}

/**
 * Reads the arrays of an `.npz` file (a zip of `.npy` files, as `numpy.savez` and `savez_compressed` write
 * them), by name without `.npy`. Only the selected arrays are inflated. Their sizes, as the zip declares them,
 * must together stay within {@link decompressedLimit} of the file's size; that is checked before inflating,
 * and an entry that inflates past its declared size is refused as soon as it does.
 *
 * @example
 * const { arrays, names } = await parseNpz(bytes, 'mnist.npz', { select: (name) => name.endsWith('_test') });
 * // names ['x_train', 'y_train', 'x_test', 'y_test']; arrays { x_test: {...}, y_test: {...} }
 */
export async function parseNpz(
  bytes: Uint8Array,
  file: string,
  options: ParseNpzOptions = {},
): Promise<NpzContents> {
  const select = options.select ?? (() => true);
  const limit = decompressedLimit(bytes.length);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zip: yauzl.ZipFile | undefined;
  const wanted: { name: string; entry: yauzl.Entry }[] = [];
  const names: string[] = [];
  let total = 0;
  try {
    zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true });
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.endsWith('.npy')) continue;
      const name = entry.fileName.slice(0, -4);
      names.push(name);
      if (!select(name)) continue;
      total += entry.uncompressedSize;
      if (total > limit) {
        throw new DatasetFormatError(
          file,
          `declares ${formatBytes(total)} of arrays up to ${entry.fileName}, more than ${describeLimit(bytes.length)}`,
        );
      }
      wanted.push({ name, entry });
    }
    const arrays: Record<string, NpyArray> = {};
    for (const { name, entry } of wanted) {
      const content = await inflateEntry(zip, entry);
      arrays[name] = parseNpy(content, `${file}:${entry.fileName}`);
    }
    return { arrays, names };
  } catch (error) {
    if (error instanceof DatasetFormatError) throw error;
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new DatasetFormatError(file, `is not a readable .npz (zip) file (${reason})`, { cause: error });
  } finally {
    zip?.close();
  }
}

/** An entry's bytes, into a buffer of its declared size; a stream that runs past it is stopped there. */
async function inflateEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Uint8Array> {
  const content = new Uint8Array(entry.uncompressedSize);
  const pastDeclared = () =>
    new Error(`${entry.fileName} inflates past the ${entry.uncompressedSize} bytes its zip entry declares`);
  let size = 0;
  try {
    const stream: Readable = await zip.openReadStreamPromise(entry);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (size + chunk.length > content.length) {
        stream.destroy();
        throw pastDeclared();
      }
      content.set(chunk, size);
      size += chunk.length;
    }
  } catch (error) {
    // yauzl checks the count too, and may notice first
    if (size + 1 > content.length || /too many bytes/.test((error as Error).message)) throw pastDeclared();
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new Error(`${entry.fileName}: ${reason}`, { cause: error });
  }
  if (size !== content.length) {
    throw new Error(
      `${entry.fileName} holds ${size} bytes, its zip entry declares ${entry.uncompressedSize}`,
    );
  }
  return content;
}
