import * as tf from '@tensorflow/tfjs';
import { heapFloat32, heapOffset, type WasmKernelArgs } from './wasm-ops.js';
import { simdLoops } from './wasm-simd.js';

/** The kernel's name: not a tfjs kernel, only cnnx's `FusedBatchNorm` gradient runs it. */
export const BATCH_NORM_GRAD = 'CnnxBatchNormGrad';

/**
 * All five partial derivatives of `FusedBatchNorm` with per-channel statistics, from two passes over
 * the wasm heap: one for the per-channel sums Σ dy and Σ dy · (x - mean) (float64, in row order), one
 * for dx = dy · scale/√(variance + ε). With k = 1/√(variance + ε):
 * dmean = -k · scale · Σ dy, dvariance = -½ k³ · scale · Σ dy · (x - mean),
 * dscale = k · Σ dy · (x - mean), doffset = Σ dy. tfjs's formula takes a dozen elementwise kernels
 * and five sums over the whole tensor.
 *
 * Inputs `dy`, `x` (float32, channels last), `mean`, `variance` and optionally `scale` (one value per
 * channel); attribute `varianceEpsilon`. Outputs [dx, dmean, dvariance, dscale, doffset].
 */
function batchNormGrad(args: WasmKernelArgs): tf.TensorInfo[] {
  const { inputs, backend, attrs = {} } = args;
  const { dy, x, mean, variance, scale } = inputs;
  if (dy === undefined || x === undefined || mean === undefined || variance === undefined) {
    throw new TypeError(`${BATCH_NORM_GRAD} needs inputs 'dy', 'x', 'mean' and 'variance'.`);
  }
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const channels = x.shape.at(-1) ?? 0;
  for (const [name, info] of [
    ['mean', mean],
    ['variance', variance],
    ['scale', scale],
  ] as const) {
    if (info !== undefined && tf.util.sizeFromShape(info.shape) !== channels) {
      throw new RangeError(`${BATCH_NORM_GRAD}: '${name}' must hold one value per channel (${channels}).`);
    }
  }
  if ([dy, x, mean, variance, scale].some((info) => info !== undefined && info.dtype !== 'float32')) {
    throw new TypeError(`${BATCH_NORM_GRAD} works on float32.`);
  }
  const size = tf.util.sizeFromShape(x.shape);
  const dx = backend.makeOutput(x.shape, 'float32');
  const [dMean, dVariance, dScale, dOffset] = [0, 1, 2, 3].map(() =>
    backend.makeOutput([channels], 'float32'),
  );
  // Σ dy in the first `channels` values, Σ dy · (x - mean) in the next, then dx's factor per channel.
  const scratchAt = backend.wasm._malloc(channels * 20);
  const totals = new Float64Array(backend.wasm.HEAPU8.buffer, scratchAt, channels * 2).fill(0);
  const factorAt = scratchAt + channels * 16;
  const loops = simdLoops(backend);
  const vectorised = loops !== null && channels % 4 === 0;
  if (vectorised) {
    const dyAt = heapOffset(backend, dy);
    loops.batchNormGradSums(
      dyAt,
      heapOffset(backend, x),
      dyAt + size * 4,
      heapOffset(backend, mean),
      channels * 4,
      scratchAt,
    );
  } else {
    const gradients = heapFloat32(backend, dy);
    const values = heapFloat32(backend, x);
    const means = heapFloat32(backend, mean);
    for (let at = 0; at < size; at += channels) {
      for (let channel = 0; channel < channels; channel++) {
        const gradient = gradients[at + channel]!;
        totals[channel]! += gradient;
        totals[channels + channel]! += Math.fround(
          Math.fround(values[at + channel]! - means[channel]!) * gradient,
        );
      }
    }
  }
  const variances = heapFloat32(backend, variance);
  const scales = scale === undefined ? null : heapFloat32(backend, scale);
  const factors = new Float32Array(backend.wasm.HEAPU8.buffer, factorAt, channels);
  const [meanGradients, varianceGradients, scaleGradients, offsetGradients] = [
    dMean,
    dVariance,
    dScale,
    dOffset,
  ].map((info) => heapFloat32(backend, info!)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  for (let channel = 0; channel < channels; channel++) {
    const inverse = 1 / Math.sqrt(variances[channel]! + varianceEpsilon);
    const gamma = scales?.[channel] ?? 1;
    const sumDy = totals[channel]!;
    const sumDyCentred = totals[channels + channel]!;
    factors[channel] = gamma * inverse;
    meanGradients[channel] = -inverse * gamma * sumDy;
    varianceGradients[channel] = -0.5 * inverse ** 3 * gamma * sumDyCentred;
    scaleGradients[channel] = inverse * sumDyCentred;
    offsetGradients[channel] = sumDy;
  }
  if (vectorised) {
    const dyAt = heapOffset(backend, dy);
    loops.multiplyRows(dyAt, dyAt + size * 4, factorAt, channels * 4, heapOffset(backend, dx));
  } else {
    const gradients = heapFloat32(backend, dy);
    const out = heapFloat32(backend, dx);
    for (let at = 0; at < size; at += channels) {
      for (let channel = 0; channel < channels; channel++)
        out[at + channel] = gradients[at + channel]! * factors[channel]!;
    }
  }
  backend.wasm._free(scratchAt);
  return [dx, dMean!, dVariance!, dScale!, dOffset!];
}

/** Batch norm's gradient for the wasm backend (see `batch-norm-gradient.ts`). */
export const batchNormGradConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_GRAD,
  backendName: 'wasm',
  kernelFunc: batchNormGrad as unknown as tf.KernelFunc,
};
