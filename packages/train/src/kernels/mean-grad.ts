import * as tf from '@tensorflow/tfjs';
import { leadingAxes } from './sum.js';
import { heapFloat32, type WasmKernelArgs } from './wasm-ops.js';

/** The kernel's name: not a tfjs kernel, only cnnx's `Mean` gradient (below) runs it. */
export const MEAN_GRAD = 'CnnxMeanGrad';

/**
 * The gradient of a mean over leading axes: every row of `shape` is dy / rows. One write over the
 * wasm heap (the first row, then copies that double what is written), where tfjs's gradient fills a
 * `ones(x.shape)` in JavaScript, copies it into the heap, and multiplies and divides over it.
 * Input `dy` (float32, the kept trailing axes); attribute `shape`, the mean's input shape.
 */
function meanGrad(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { dy } = inputs;
  if (dy === undefined) throw new TypeError(`${MEAN_GRAD} needs input 'dy'.`);
  const { shape } = attrs as unknown as { shape: number[] };
  const columns = tf.util.sizeFromShape(dy.shape);
  const size = tf.util.sizeFromShape(shape);
  if (dy.dtype !== 'float32' || (columns > 0 && size % columns !== 0)) {
    throw new RangeError(`${MEAN_GRAD}: dy [${dy.shape}] does not tile [${shape}].`);
  }
  const dx = backend.makeOutput(shape, 'float32');
  if (size === 0) return dx;
  const rows = size / columns;
  const gradients = heapFloat32(backend, dy);
  const out = heapFloat32(backend, dx);
  for (let column = 0; column < columns; column++) out[column] = gradients[column]! / rows;
  for (let written = columns; written < size; written *= 2)
    out.copyWithin(written, 0, Math.min(written, size - written));
  return dx;
}

/** The mean's gradient for the wasm backend (see {@link meanGradient}). */
export const meanGradConfig: tf.KernelConfig = {
  kernelName: MEAN_GRAD,
  backendName: 'wasm',
  kernelFunc: meanGrad as unknown as tf.KernelFunc,
};

/**
 * The gradient of `Mean` that cnnx registers alongside its wasm kernels: one {@link MEAN_GRAD}
 * kernel on wasm for float32 means over leading axes (batch norm's moments), tfjs's own gradient
 * (`stock`) otherwise.
 *
 * @example
 * tf.registerGradient(meanGradient(tf.getGradient('Mean')!));
 */
export function meanGradient(stock: tf.GradConfig): tf.GradConfig {
  return {
    ...stock,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (x === undefined) throw new Error("Mean's gradient needs its saved input 'x'.");
      if (tf.getBackend() !== 'wasm' || Array.isArray(dy) || dy.dtype !== 'float32') {
        return stock.gradFunc(dy, saved, attrs);
      }
      if (leadingAxes((attrs as unknown as tf.MeanAttrs).axis, x.shape) === null) {
        return stock.gradFunc(dy, saved, attrs);
      }
      return { x: () => tf.engine().runKernel(MEAN_GRAD, { dy }, { shape: x.shape }) as tf.Tensor };
    },
  };
}
