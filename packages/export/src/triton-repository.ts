// Node only: writes a Triton model repository entry for an exported model.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeFolderAtomic } from '@cnnx/data';
import { checkTritonName, type TritonOptions, tritonConfig } from './triton.js';

/** Options of {@link writeTritonModel}: the config's, and which version folder to write. */
export interface TritonEntryOptions extends TritonOptions {
  /** The version folder to add or replace (default 1); other versions of the entry are kept. */
  version?: number;
}

/**
 * Writes `repository/name/config.pbtxt` and `repository/name/VERSION/model.onnx` for ONNX `bytes` and returns
 * the entry's path. Only what it writes changes: the version folder is replaced as one atomic folder,
 * `config.pbtxt` through a temporary file and a rename, and the entry's other version folders and files stay.
 * `name` must be one path segment that Triton accepts (see {@link checkTritonName}).
 *
 * @example
 * await writeTritonModel('triton-repo', 'mnist', bytes, { version: 2 }); // → '/…/triton-repo/mnist' (mnist/1 kept)
 */
export async function writeTritonModel(
  repository: string,
  name: string,
  bytes: Uint8Array,
  options: TritonEntryOptions = {},
): Promise<string> {
  checkTritonName(name);
  const version = options.version ?? 1;
  if (!Number.isInteger(version) || version < 1) {
    throw new RangeError(`'version' must be an integer ≥ 1, got ${version}`);
  }
  const config = tritonConfig(bytes, name, options);
  const entry = resolve(repository, name);
  await mkdir(entry, { recursive: true });
  await writeFolderAtomic(join(entry, String(version)), { 'model.onnx': bytes });
  await writeFileAtomic(join(entry, 'config.pbtxt'), config);
  return entry;
}
