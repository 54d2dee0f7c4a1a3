// Node only: writes a Triton model repository entry for an exported model.
import { join, resolve } from 'node:path';
import { writeFolderAtomic } from '@cnnx/data';
import { type TritonOptions, tritonConfig } from './triton.js';

/**
 * Writes `repository/name/{config.pbtxt, 1/model.onnx}` for ONNX `bytes` (the entry as one atomic folder,
 * replacing an earlier one) and returns the entry's path.
 *
 * @example
 * await writeTritonModel('triton-repo', 'mnist', bytes); // → '/…/triton-repo/mnist'
 */
export async function writeTritonModel(
  repository: string,
  name: string,
  bytes: Uint8Array,
  options: TritonOptions = {},
): Promise<string> {
  const entry = resolve(repository, name);
  await writeFolderAtomic(entry, {
    'config.pbtxt': tritonConfig(bytes, name, options),
    [join('1', 'model.onnx')]: bytes,
  });
  return entry;
}
