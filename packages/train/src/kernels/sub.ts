import type * as tf from '@tensorflow/tfjs';
import { smallBinary } from './small-elementwise.js';
import { stockKernel } from './stock-kernels.js';
import type { WasmKernelArgs } from './wasm-ops.js';

/** `Sub` with small outputs (the loss's [64, 10] tensors) on the calling thread, see {@link smallBinary}. */
function sub(args: WasmKernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined) throw new TypeError("Sub needs inputs 'a' and 'b'.");
  return smallBinary(args.backend, a, b, (x, y) => x - y) ?? (stockKernel('Sub')(args) as tf.TensorInfo);
}

/** `Sub` for the wasm backend, replacing the stock one for small float32 outputs. */
export const subConfig: tf.KernelConfig = {
  kernelName: 'Sub',
  backendName: 'wasm',
  kernelFunc: sub as unknown as tf.KernelFunc,
};
