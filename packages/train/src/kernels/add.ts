import type * as tf from '@tensorflow/tfjs';
import { smallBinaryOrStock } from './small-elementwise.js';
import { heapOffset, type WasmKernelArgs } from './wasm-ops.js';
import { simdLoops } from './wasm-simd.js';

/**
 * `Add` with a bias fast path: a float32 tensor plus a vector along its last axis (a layer's
 * bias, [64, 28, 28, 32] + [32]) in WebAssembly SIMD, a row at a time, instead of the stock
 * kernel's general broadcasting loop (classic's first layer: 1.0 -> 0.4 ms); small outputs in
 * JavaScript on the calling thread (see {@link smallBinaryOrStock}). Every other case goes to the stock
 * kernel. Float addition commutes, so the bias may come first or second.
 */
function add(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  if (a === undefined || b === undefined) throw new TypeError("Add needs inputs 'a' and 'b'.");
  const loops = simdLoops(backend);
  const [values, bias] = b.shape.length === 1 ? [a, b] : [b, a];
  const channels = bias.shape[0] ?? 0;
  if (
    loops === null ||
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    bias.shape.length !== 1 ||
    values.shape.length < 2 ||
    values.shape.at(-1) !== channels ||
    channels % 4 !== 0
  ) {
    return smallBinaryOrStock('Add', args, (x, y) => x + y);
  }
  const out = backend.makeOutput(values.shape, 'float32');
  const size = values.shape.reduce((product, dimension) => product * dimension, 1);
  const start = heapOffset(backend, values);
  loops.addToRows(start, start + size * 4, heapOffset(backend, bias), channels * 4, heapOffset(backend, out));
  return out;
}

/** `Add` for the wasm backend, replacing the stock one for bias adds. */
export const addConfig: tf.KernelConfig = {
  kernelName: 'Add',
  backendName: 'wasm',
  kernelFunc: add as unknown as tf.KernelFunc,
};
