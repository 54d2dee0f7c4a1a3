import type * as tf from '@tensorflow/tfjs';
import { stockKernel } from './stock-kernels.js';
import { columnTotals, leadingReduction } from './sum.js';
import { heapFloat32, type WasmKernelArgs } from './wasm-ops.js';

/**
 * `Mean` over leading axes (batch norm's moments: an NHWC tensor averaged over batch, rows and
 * columns). The stock wasm kernel transposes the channels outermost first (4 ms for a
 * [64, 28, 28, 32] tensor); the column totals of the tensor in place ({@link columnTotals}), in
 * float64, divided by the row count, read it once. Other reductions go to the stock kernel.
 */
function mean(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs.x;
  if (x === undefined) throw new TypeError("Mean needs input 'x'.");
  const reduction = leadingReduction(x, attrs as unknown as tf.MeanAttrs);
  if (reduction === null) return stockKernel('Mean')(args) as tf.TensorInfo;
  const totals = columnTotals(backend, x, reduction.rows, reduction.columns);
  const out = backend.makeOutput(reduction.outShape, 'float32');
  const means = heapFloat32(backend, out);
  // No rows: 0, as the cpu backend gives (the stock wasm kernel leaves the output unwritten).
  const divisor = Math.max(reduction.rows, 1);
  for (let column = 0; column < reduction.columns; column++) means[column] = totals[column]! / divisor;
  return out;
}

/** `Mean` for the wasm backend, replacing the stock one for reductions over leading axes. */
export const meanConfig: tf.KernelConfig = {
  kernelName: 'Mean',
  backendName: 'wasm',
  kernelFunc: mean as unknown as tf.KernelFunc,
};
