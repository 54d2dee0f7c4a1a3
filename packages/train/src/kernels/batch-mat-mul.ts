import type * as tf from '@tensorflow/tfjs';
import { stockKernel } from './stock-kernels.js';
import { release, runWasmKernel, type WasmKernelArgs } from './wasm-ops.js';

/**
 * `BatchMatMul` with transposed operands: the stock wasm kernel multiplies transposed operands
 * in a slow scalar loop (24 ms for the Dense layer's weight gradient, against 1.7 ms untransposed),
 * so transpose them explicitly (0.2 ms) and hand the product to the stock XNNPACK path.
 */
function batchMatMul(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const a = inputs.a;
  const b = inputs.b;
  if (a === undefined || b === undefined) throw new TypeError("BatchMatMul needs inputs 'a' and 'b'.");
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const stock = stockKernel('BatchMatMul');
  if (!transposeA && !transposeB) return stock(args) as tf.TensorInfo;
  const left = transposeA ? transposeLastTwo(args.backend, a) : a;
  const right = transposeB ? transposeLastTwo(args.backend, b) : b;
  const product = stock({
    inputs: { a: left, b: right },
    backend,
    attrs: { ...attrs, transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
  if (left !== a) release(backend, left);
  if (right !== b) release(backend, right);
  return product;
}

function transposeLastTwo(backend: WasmKernelArgs['backend'], x: tf.TensorInfo): tf.TensorInfo {
  const perm = x.shape.map((_, axis) => axis);
  const last = perm.length - 1;
  perm[last] = last - 1;
  perm[last - 1] = last;
  return runWasmKernel(backend, 'Transpose', { x }, { perm });
}

/** `BatchMatMul` for the wasm backend, replacing the stock one for transposed operands. */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
