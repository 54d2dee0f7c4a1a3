/*
 * Telling a Keras file by its first bytes, without TensorFlow.js: `@cnnx/train/keras-format` exports this
 * module alone, so that a command given an ONNX file (cnnx serve, bench, predict) can tell a Keras file from
 * it and say what to do without loading tfjs.
 */
import { open } from 'node:fs/promises';
import { detectKerasFormat, type KerasFileFormat } from './detect.js';

export { detectKerasFormat, type KerasFileFormat };

/** How many bytes at the start of a file tell a Keras file (HDF5 may sit after a user block of up to 32 KiB). */
const HEAD_BYTES = 64 * 1024;

/**
 * Which kind of Keras file `path` is, from its first bytes (not its name): `hdf5`, `keras-zip`, or `null`
 * for anything else, a folder, or a file that cannot be read.
 *
 * @example
 * await detectKerasFile('mnist.h5');           // 'hdf5'
 * await detectKerasFile('mnist.keras');        // 'keras-zip'
 * await detectKerasFile('runs/a/model.onnx');  // null
 */
export async function detectKerasFile(path: string): Promise<KerasFileFormat | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (handle === null) return null;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return null;
    const head = new Uint8Array(Math.min(HEAD_BYTES, info.size));
    await handle.read(head, 0, head.length, 0);
    return detectKerasFormat(head);
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
