import * as tf from '@tensorflow/tfjs';
import { stockKernel } from './stock-kernels.js';
import { heapFloat32, type WasmKernelArgs } from './wasm-ops.js';

/** Logits up to this many values are handled in JavaScript (see {@link softmax}). */
const SMALL_LOGITS = 16_384;

/**
 * `Softmax` over the last axis of small float32 logits (a classifier's [64, 10]) in JavaScript on
 * the calling thread: the stock kernel runs XNNPACK on the thread pool, whose wake-up on 2
 * threads (0.3 ms) costs more than the work. Rounded to float32 step by step as the cpu backend
 * does (max, subtract, exp, sum, divide). Larger logits go to the stock kernel.
 */
function softmax(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const logits = inputs.logits;
  if (logits === undefined) throw new TypeError("Softmax needs input 'logits'.");
  const { dim } = attrs as unknown as tf.SoftmaxAttrs;
  const rank = logits.shape.length;
  const size = tf.util.sizeFromShape(logits.shape);
  if (logits.dtype !== 'float32' || size > SMALL_LOGITS || (dim !== -1 && dim !== rank - 1)) {
    return stockKernel('Softmax')(args) as tf.TensorInfo;
  }
  const out = backend.makeOutput(logits.shape, 'float32');
  const values = heapFloat32(backend, logits);
  const target = heapFloat32(backend, out);
  const width = logits.shape[rank - 1] ?? 1;
  const f32 = Math.fround;
  for (let start = 0; start < size; start += width) {
    let largest = Number.NEGATIVE_INFINITY;
    for (let i = start; i < start + width; i++) largest = Math.max(largest, values[i]!);
    let total = 0;
    for (let i = start; i < start + width; i++) {
      const exponential = f32(Math.exp(f32(values[i]! - largest)));
      target[i] = exponential;
      total += exponential;
    }
    const sum = f32(total);
    for (let i = start; i < start + width; i++) target[i] = target[i]! / sum;
  }
  return out;
}

/** `Softmax` for the wasm backend, replacing the stock one for small logits. */
export const softmaxConfig: tf.KernelConfig = {
  kernelName: 'Softmax',
  backendName: 'wasm',
  kernelFunc: softmax as unknown as tf.KernelFunc,
};
