import type * as tf from '@tensorflow/tfjs';
import { sharing } from './identity.js';
import { stockKernel } from './stock-kernels.js';
import type { WasmKernelArgs } from './wasm-ops.js';

/**
 * `Cast` to the dtype a tensor already has shares its data, as our `Identity` does;
 * other casts go to the stock kernel. tfjs's ReLU gradient casts `step(x)`, already float32, to
 * float32: stock wasm copies the whole activation for it every step.
 */
function cast(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs.x;
  if (x === undefined) throw new TypeError("Cast needs input 'x'.");
  const { dtype } = attrs as unknown as tf.CastAttrs;
  if (dtype !== x.dtype || x.dtype === 'string') return stockKernel('Cast')(args) as tf.TensorInfo;
  return sharing(backend, x);
}

/** `Cast` for the wasm backend, replacing the stock one (always a copy). */
export const castConfig: tf.KernelConfig = {
  kernelName: 'Cast',
  backendName: 'wasm',
  kernelFunc: cast as unknown as tf.KernelFunc,
};
