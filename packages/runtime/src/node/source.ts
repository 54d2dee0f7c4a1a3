/** Reads a model source (path, URL, bytes) into bytes in Node, naming the file in every error. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** What `Classifier.load` accepts in Node. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

/**
 * The bytes of a model and a name for it in messages.
 *
 * @example
 * const { bytes, file } = await readModelSource('runs/mnist/model.onnx');
 */
export async function readModelSource(
  source: ModelSource,
): Promise<{ bytes: Uint8Array; file: string; path: string | null }> {
  if (source instanceof Uint8Array) return { bytes: source, file: '(model bytes)', path: null };
  if (source instanceof ArrayBuffer)
    return { bytes: new Uint8Array(source), file: '(model bytes)', path: null };
  let url: URL | null = null;
  if (source instanceof URL) url = source;
  else if (typeof source === 'string' && /^(https?|file):\/\//i.test(source)) url = new URL(source);
  else if (typeof source !== 'string' || source === '') {
    throw new TypeError(
      `'source' must be a path, URL, Uint8Array or ArrayBuffer of an .onnx file, got ${source === '' ? 'an empty string' : typeof source}`,
    );
  }
  if (url && url.protocol !== 'file:') {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`'source' URL must be file:, http: or https:, got ${url.protocol}`);
    }
    const response = await fetch(url).catch((error: unknown) => {
      throw new Error(`cannot fetch ${url.href}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    });
    if (!response.ok)
      throw new Error(`cannot fetch ${url.href}: HTTP ${response.status} ${response.statusText}`);
    return { bytes: new Uint8Array(await response.arrayBuffer()), file: url.href, path: null };
  }
  const path = url ? fileURLToPath(url) : (source as string);
  try {
    return { bytes: new Uint8Array(await readFile(path)), file: path, path };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not an .onnx file'
          : (error as Error).message;
    throw new Error(`cannot read model ${path}: ${reason}`, { cause: error });
  }
}
