import type * as tf from '@tensorflow/tfjs';
import { smallBinary } from './small-elementwise.js';
import { stockKernel } from './stock-kernels.js';
import type { WasmKernelArgs } from './wasm-ops.js';

/** `RealDiv` with small outputs (the loss's [64, 10] tensors) on the calling thread, see {@link smallBinary}. */
function realDiv(args: WasmKernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined) throw new TypeError("RealDiv needs inputs 'a' and 'b'.");
  return smallBinary(args.backend, a, b, (x, y) => x / y) ?? (stockKernel('RealDiv')(args) as tf.TensorInfo);
}

/** `RealDiv` for the wasm backend, replacing the stock one for small float32 outputs. */
export const realDivConfig: tf.KernelConfig = {
  kernelName: 'RealDiv',
  backendName: 'wasm',
  kernelFunc: realDiv as unknown as tf.KernelFunc,
};
