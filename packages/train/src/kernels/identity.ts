import type * as tf from '@tensorflow/tfjs';
import { stockKernel } from './stock-kernels.js';
import type { WasmKernelArgs } from './wasm-ops.js';

/**
 * `Identity` without a copy: the output shares the input's data, counted by reference, as the
 * cpu backend's does and the wasm backend's own `Reshape` does. Stock wasm copies the values,
 * and tfjs runs `Identity` on every tensor it saves for the backward pass (each layer's inputs
 * and outputs, every step). Sharing is safe because no kernel writes into its inputs; a
 * variable's `assign` moves it to new data.
 */
function identity(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x;
  if (x === undefined) throw new TypeError("Identity needs input 'x'.");
  if (x.dtype === 'string') return stockKernel('Identity')(args) as tf.TensorInfo;
  return sharing(backend, x);
}

/** A tensor on `x`'s data (one more reference to it), for kernels whose output equals their input. */
export function sharing(backend: WasmKernelArgs['backend'], x: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** `Identity` for the wasm backend, replacing the stock one (a copy). */
export const identityConfig: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identity as unknown as tf.KernelFunc,
};
