/**
 * Checks of a tfjs Layers `model.json`'s `weightsManifest`, shared by every reader of model folders: the file
 * comes from anywhere, so its groups, paths, names, dtypes and shapes are checked before any is used, and the
 * bytes they describe are counted before the shards are trusted.
 */

/** Bytes per value of the dtypes tfjs writes, and of the quantized forms it reads. */
const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** The largest weights file cnnx reads: 4 GiB of values in all. */
const MAX_WEIGHT_BYTES = 4 * 1024 ** 3;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What is wrong with a `weightsManifest` (one line, naming the entry), or `undefined` when it is well formed:
 * an array of groups, each with `paths` (file names) and `weights` (`name`, `shape` of whole numbers, a dtype
 * tfjs knows, an optional `quantization` of uint8, uint16 or float16), describing at most 4 GiB in all.
 *
 * @example
 * weightsManifestProblem([{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [-1], dtype: 'float32' }] }]);
 * // 'weightsManifest[0].weights[0] "w" has shape [-1], expected sizes that are whole numbers'
 */
export function weightsManifestProblem(manifest: unknown): string | undefined {
  if (!Array.isArray(manifest)) return "'weightsManifest' is not an array of groups";
  let bytes = 0;
  for (const [g, group] of manifest.entries()) {
    const where = `weightsManifest[${g}]`;
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      return `${where} needs 'paths' and 'weights' arrays`;
    }
    const path = group.paths.findIndex((item) => typeof item !== 'string' || item === '');
    if (path !== -1)
      return `${where}.paths[${path}] is ${JSON.stringify(group.paths[path])}, expected a file name`;
    for (const [w, weight] of group.weights.entries()) {
      const entry = `${where}.weights[${w}]`;
      if (!isRecord(weight) || typeof weight.name !== 'string') return `${entry} needs a 'name'`;
      const named = `${entry} ${JSON.stringify(weight.name)}`;
      const { shape, dtype, quantization } = weight;
      if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
        return `${named} has shape ${JSON.stringify(shape)}, expected sizes that are whole numbers`;
      }
      if (typeof dtype !== 'string' || !['float32', 'int32', 'bool'].includes(dtype)) {
        return `${named} has dtype ${JSON.stringify(dtype)}, expected float32, int32 or bool`;
      }
      let stored = DTYPE_BYTES[dtype]!;
      if (quantization !== undefined) {
        const kind = isRecord(quantization) ? quantization.dtype : undefined;
        if (kind !== 'uint8' && kind !== 'uint16' && kind !== 'float16') {
          return `${named} has quantization ${JSON.stringify(quantization)}, expected a dtype of uint8, uint16 or float16`;
        }
        stored = DTYPE_BYTES[kind]!;
      }
      bytes += stored * (shape as number[]).reduce((product, size) => product * size, 1);
      if (bytes > MAX_WEIGHT_BYTES) return `${named} takes the weights past 4 GiB`;
    }
  }
  return undefined;
}

/**
 * The bytes of weight data a well-formed manifest (see {@link weightsManifestProblem}) describes: what its
 * shards must hold together.
 *
 * @example
 * weightsByteLength([{ paths: ['w.bin'], weights: [{ name: 'w', shape: [3, 2], dtype: 'float32' }] }]); // 24
 */
export function weightsByteLength(manifest: readonly { weights: readonly unknown[] }[]): number {
  let bytes = 0;
  for (const group of manifest) {
    for (const weight of group.weights as {
      shape: number[];
      dtype: string;
      quantization?: { dtype: string };
    }[]) {
      const stored = DTYPE_BYTES[weight.quantization?.dtype ?? weight.dtype] ?? 4;
      bytes += stored * weight.shape.reduce((product, size) => product * size, 1);
    }
  }
  return bytes;
}
