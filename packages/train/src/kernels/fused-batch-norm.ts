import * as tf from '@tensorflow/tfjs';
import { stockKernel } from './stock-kernels.js';
import { heapFloat32, heapOffset, type WasmKernelArgs } from './wasm-ops.js';
import { simdLoops } from './wasm-simd.js';

/**
 * `FusedBatchNorm` with per-channel statistics (batch norm over an NHWC tensor's channels):
 * `(x - mean) · scale/√(variance + ε) + offset`, the factor worked out once per channel and the
 * tensor read once in WebAssembly SIMD, a row of channels at a time. The stock wasm kernel takes
 * a square root and four modulos per value (5.6 ms for a [64, 28, 28, 32] tensor, against under
 * 1 ms here). Other shapes go to the stock kernel.
 */
function fusedBatchNorm(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, mean, variance, offset, scale } = inputs;
  if (x === undefined || mean === undefined || variance === undefined) {
    throw new TypeError("FusedBatchNorm needs inputs 'x', 'mean' and 'variance'.");
  }
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const channels = x.shape.at(-1) ?? 0;
  const perChannel = (info: tf.TensorInfo | undefined) =>
    info === undefined || (info.dtype === 'float32' && tf.util.sizeFromShape(info.shape) === channels);
  const loops = simdLoops(backend);
  if (
    loops === null ||
    x.dtype !== 'float32' ||
    channels % 4 !== 0 ||
    ![mean, variance, offset, scale].every(perChannel)
  ) {
    return stockKernel('FusedBatchNorm')(args) as tf.TensorInfo;
  }
  const out = backend.makeOutput(x.shape, 'float32');
  const size = tf.util.sizeFromShape(x.shape);
  if (size === 0) return out;
  // factor and offset rows, side by side in the heap
  const rowsAt = backend.wasm._malloc(channels * 8);
  const rows = new Float32Array(backend.wasm.HEAPU8.buffer, rowsAt, channels * 2);
  const variances = heapFloat32(backend, variance);
  const scales = scale === undefined ? null : heapFloat32(backend, scale);
  const offsets = offset === undefined ? null : heapFloat32(backend, offset);
  for (let channel = 0; channel < channels; channel++) {
    rows[channel] = (scales?.[channel] ?? 1) / Math.sqrt(variances[channel]! + varianceEpsilon);
    rows[channels + channel] = offsets?.[channel] ?? 0;
  }
  const start = heapOffset(backend, x);
  loops.normalizeRows(
    start,
    start + size * 4,
    heapOffset(backend, mean),
    rowsAt,
    rowsAt + channels * 4,
    channels * 4,
    heapOffset(backend, out),
  );
  backend.wasm._free(rowsAt);
  return out;
}

/** `FusedBatchNorm` for the wasm backend, replacing the stock one for per-channel statistics. */
export const fusedBatchNormConfig: tf.KernelConfig = {
  kernelName: 'FusedBatchNorm',
  backendName: 'wasm',
  kernelFunc: fusedBatchNorm as unknown as tf.KernelFunc,
};
