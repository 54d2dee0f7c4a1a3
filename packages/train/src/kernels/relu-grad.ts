import * as tf from '@tensorflow/tfjs';
import { heapFloat32, heapOffset, type WasmKernelArgs } from './wasm-ops.js';
import { simdLoops } from './wasm-simd.js';

/** The kernel's name: not a tfjs kernel, only cnnx's ReLU gradient (below) runs it. */
export const RELU_GRAD = 'CnnxReluGrad';

/**
 * ReLU's gradient in one pass over the wasm heap: `dx = x > 0 ? dy : 0`, where tfjs's gradient
 * runs three kernels (Step, Cast, Multiply) and allocates two intermediates.
 */
function reluGrad(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const { dy, x } = inputs;
  if (dy === undefined || x === undefined) throw new TypeError(`${RELU_GRAD} needs inputs 'dy' and 'x'.`);
  if (dy.dtype !== 'float32' || x.dtype !== 'float32') {
    throw new TypeError(`${RELU_GRAD} works on float32, got ${dy.dtype} and ${x.dtype}.`);
  }
  const dx = backend.makeOutput(x.shape, 'float32');
  const loops = simdLoops(backend);
  const size = tf.util.sizeFromShape(x.shape);
  // Four lanes at a time in WebAssembly SIMD; the last few (or all, without it) here.
  const vectorised = loops === null ? 0 : size & ~3;
  loops?.reluGrad(heapOffset(backend, dy), heapOffset(backend, x), heapOffset(backend, dx), vectorised * 4);
  const gradients = heapFloat32(backend, dy);
  const values = heapFloat32(backend, x);
  const out = heapFloat32(backend, dx);
  for (let i = vectorised; i < size; i++) out[i] = values[i]! > 0 ? gradients[i]! : 0;
  return dx;
}

/** ReLU's gradient for the wasm backend (see {@link reluGradient}). */
export const reluGradConfig: tf.KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as tf.KernelFunc,
};

/**
 * The gradient of `Relu` that cnnx registers alongside its wasm kernels: one {@link RELU_GRAD}
 * kernel on wasm, tfjs's own gradient (`stock`) on any other backend.
 *
 * @example
 * tf.registerGradient(reluGradient(tf.getGradient('Relu')!));
 */
export function reluGradient(stock: tf.GradConfig): tf.GradConfig {
  return {
    ...stock,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== 'wasm' || Array.isArray(dy)) return stock.gradFunc(dy, saved, attrs);
      const [x] = saved;
      if (x === undefined) throw new Error("Relu's gradient needs its saved input 'x'.");
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor };
    },
  };
}
