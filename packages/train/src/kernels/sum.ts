import * as tf from '@tensorflow/tfjs';
import { stockKernel } from './stock-kernels.js';
import { heapFloat32, heapOffset, type WasmKernelArgs } from './wasm-ops.js';
import { simdLoops } from './wasm-simd.js';

/**
 * `Sum` over leading axes (the bias gradients: dy summed over batch, rows and columns). The
 * stock wasm kernel first transposes the reduced axes innermost (a slow copy of the whole
 * tensor, 9 ms for the first layer's [64, 28, 28, 32]); summing columns in place over the heap
 * reads the tensor once, in float64, two columns at a time in WebAssembly SIMD when the count is
 * even. Other reductions go to the stock kernel.
 */
function sum(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs.x;
  if (x === undefined) throw new TypeError("Sum needs input 'x'.");
  const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.every((value, index) => value === index);
  if (x.dtype !== 'float32' || !leading || axes.length === x.shape.length) {
    return stockKernel('Sum')(args) as tf.TensorInfo;
  }
  const keptShape = x.shape.slice(axes.length);
  const columns = keptShape.reduce((a, b) => a * b, 1);
  const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);

  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...keptShape] : keptShape, 'float32');
  const loops = simdLoops(backend);
  if (loops !== null && columns % 2 === 0) {
    // Two columns at a time in WebAssembly SIMD, into float64 totals in the heap.
    const totalsAt = backend.wasm._malloc(columns * 8);
    new Float64Array(backend.wasm.HEAPU8.buffer, totalsAt, columns).fill(0);
    const valuesAt = heapOffset(backend, x);
    loops.sumRows(valuesAt, valuesAt + rows * columns * 4, columns * 4, totalsAt);
    heapFloat32(backend, out).set(new Float64Array(backend.wasm.HEAPU8.buffer, totalsAt, columns));
    backend.wasm._free(totalsAt);
    return out;
  }
  const values = heapFloat32(backend, x);
  const totals = new Float64Array(columns);
  for (let row = 0, at = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++, at++) totals[column]! += values[at]!;
  }
  heapFloat32(backend, out).set(totals);
  return out;
}

/** `Sum` for the wasm backend, replacing the stock one for reductions over leading axes. */
export const sumConfig: tf.KernelConfig = {
  kernelName: 'Sum',
  backendName: 'wasm',
  kernelFunc: sum as unknown as tf.KernelFunc,
};
