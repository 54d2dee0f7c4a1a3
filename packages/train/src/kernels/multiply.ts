import type * as tf from '@tensorflow/tfjs';
import { smallBinary } from './small-elementwise.js';
import { stockKernel } from './stock-kernels.js';
import type { WasmKernelArgs } from './wasm-ops.js';

/** `Multiply` with small outputs (the loss's [64, 10] tensors) on the calling thread, see {@link smallBinary}. */
function multiply(args: WasmKernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined) throw new TypeError("Multiply needs inputs 'a' and 'b'.");
  return smallBinary(args.backend, a, b, (x, y) => x * y) ?? (stockKernel('Multiply')(args) as tf.TensorInfo);
}

/** `Multiply` for the wasm backend, replacing the stock one for small float32 outputs. */
export const multiplyConfig: tf.KernelConfig = {
  kernelName: 'Multiply',
  backendName: 'wasm',
  kernelFunc: multiply as unknown as tf.KernelFunc,
};
