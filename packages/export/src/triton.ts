import { readOnnx } from './read-onnx.js';
import type { OnnxValueInfo } from './types.js';

const TRITON_TYPES: Record<string, string> = {
  float32: 'TYPE_FP32',
  float16: 'TYPE_FP16',
  float64: 'TYPE_FP64',
  int8: 'TYPE_INT8',
  uint8: 'TYPE_UINT8',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  bool: 'TYPE_BOOL',
};

/** Options of {@link tritonConfig}. */
export interface TritonOptions {
  /** Largest batch Triton forms (default 64). */
  maxBatchSize?: number;
  /** How long Triton waits to fill a batch, in microseconds (default 100). */
  maxQueueDelayMicroseconds?: number;
}

function tensorBlock(value: OnnxValueInfo): string {
  const type = TRITON_TYPES[value.type];
  if (!type)
    throw new RangeError(`tensor '${value.name}' has type ${value.type}, which Triton's config cannot name`);
  const dims = value.shape.slice(1).map((dim) => (typeof dim === 'number' && dim > 0 ? dim : -1));
  return `  {\n    name: "${value.name}"\n    data_type: ${type}\n    dims: [ ${dims.join(', ')} ]\n  }`;
}

/** What a Triton model name must be, in words (messages say it). */
export const TRITON_NAME_RULE = "one folder name of letters, digits, '_', '.' or '-', not only dots";

/**
 * Whether `name` can name a Triton model: one path segment of letters, digits, `_`, `.` and `-` that is not
 * only dots (so never `.`, `..`, a path with separators or a NUL byte), at most 255 long.
 *
 * @example
 * isTritonName('mnist-int8'); // true
 * isTritonName('..'); // false
 */
export function isTritonName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,255}$/.test(name) && !/^\.+$/.test(name);
}

/**
 * Throws a RangeError unless {@link isTritonName}.
 *
 * @example
 * checkTritonName('..'); // throws RangeError: Triton model name ".." must be one folder name of letters, …
 */
export function checkTritonName(name: string): void {
  if (!isTritonName(name)) {
    throw new RangeError(`Triton model name ${JSON.stringify(name)} must be ${TRITON_NAME_RULE}`);
  }
}

/**
 * The `config.pbtxt` of a Triton Inference Server model repository entry for an ONNX model whose first
 * dimension is the (symbolic) batch: dims are written without it.
 *
 * @example
 * tritonConfig(bytes, 'digits');
 * // name: "digits"\nbackend: "onnxruntime"\nmax_batch_size: 64\ninput [ { name: "input" data_type: TYPE_FP32 dims: [ 28, 28, 1 ] } ] ...
 */
export function tritonConfig(onnxBytes: Uint8Array, name: string, options: TritonOptions = {}): string {
  checkTritonName(name);
  const maxBatchSize = options.maxBatchSize ?? 64;
  const delay = options.maxQueueDelayMicroseconds ?? 100;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`'maxBatchSize' must be an integer ≥ 1, got ${maxBatchSize}`);
  }
  const info = readOnnx(onnxBytes);
  for (const value of [...info.inputs, ...info.outputs]) {
    if (value.shape[0] !== 'batch') {
      throw new RangeError(
        `tensor '${value.name}' has no symbolic batch dimension, so Triton cannot batch it`,
      );
    }
  }
  return [
    `name: "${name}"`,
    'backend: "onnxruntime"',
    `max_batch_size: ${maxBatchSize}`,
    `input [\n${info.inputs.map(tensorBlock).join(',\n')}\n]`,
    `output [\n${info.outputs.map(tensorBlock).join(',\n')}\n]`,
    `dynamic_batching {\n  max_queue_delay_microseconds: ${delay}\n}`,
    '',
  ].join('\n');
}
