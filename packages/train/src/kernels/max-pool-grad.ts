import type * as tf from '@tensorflow/tfjs';
import { heapFloat32, heapOffset, pool2dInfo, type WasmKernelArgs } from './wasm-ops.js';
import { simdLoops } from './wasm-simd.js';

/**
 * The gradient of max pooling: each dy value goes to the position of its window's maximum
 * (the first one in row-major order on ties, as the cpu backend does). One pass over the wasm
 * heap, all channels of a pixel at once, instead of the stock per-element kernel; the common
 * 2×2, stride-2 pooling of a multiple of four channels runs in WebAssembly SIMD.
 */
function maxPoolGrad(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const dy = inputs.dy;
  const input = inputs.input;
  if (dy === undefined || input === undefined)
    throw new TypeError("MaxPoolGrad needs inputs 'dy' and 'input'.");
  const info = pool2dInfo(input.shape, attrs as unknown as tf.MaxPoolGradAttrs);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, padInfo } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;

  const dx = backend.makeOutput(input.shape, 'float32');
  const x = heapFloat32(backend, input);
  const gradient = heapFloat32(backend, dy);
  const out = heapFloat32(backend, dx);
  const disjointPairs =
    filterHeight === 2 &&
    filterWidth === 2 &&
    strideHeight === 2 &&
    strideWidth === 2 &&
    dilationHeight === 1 &&
    dilationWidth === 1 &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    outHeight * 2 <= inHeight &&
    outWidth * 2 <= inWidth;
  if (disjointPairs) {
    // Every input value is written when the windows tile the input exactly; else zero the rest.
    if (outHeight * 2 !== inHeight || outWidth * 2 !== inWidth) out.fill(0);
    const loops = simdLoops(backend);
    if (loops !== null && channels % 4 === 0) {
      // Four channels at a time in WebAssembly SIMD, one call per output row.
      const inputStart = heapOffset(backend, input);
      const gradientStart = heapOffset(backend, dy);
      const toOutput = heapOffset(backend, dx) - inputStart;
      const channelBytes = channels * 4;
      const rowBytes = inWidth * channelBytes;
      for (let n = 0; n < batchSize; n++) {
        for (let i = 0; i < outHeight; i++) {
          loops.maxPoolGradRow(
            inputStart + (n * inHeight + i * 2) * rowBytes,
            gradientStart + (n * outHeight + i) * outWidth * channelBytes,
            toOutput,
            outWidth,
            channelBytes,
            rowBytes,
          );
        }
      }
      return dx;
    }
    routeTwoByTwo(x, gradient, out, batchSize, inHeight, inWidth, channels, outHeight, outWidth);
    return dx;
  }
  out.fill(0);
  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);
  for (let n = 0; n < batchSize; n++) {
    const imageStart = n * inHeight * inWidth;
    for (let i = 0; i < outHeight; i++) {
      const top = i * strideHeight - padInfo.top;
      for (let j = 0; j < outWidth; j++) {
        const left = j * strideWidth - padInfo.left;
        best.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        for (let a = 0; a < filterHeight; a++) {
          const row = top + a * dilationHeight;
          if (row < 0 || row >= inHeight) continue;
          for (let b = 0; b < filterWidth; b++) {
            const column = left + b * dilationWidth;
            if (column < 0 || column >= inWidth) continue;
            const at = (imageStart + row * inWidth + column) * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[at + c]!;
              if (value > best[c]!) {
                best[c] = value;
                bestAt[c] = at + c;
              }
            }
          }
        }
        const from = ((n * outHeight + i) * outWidth + j) * channels;
        for (let c = 0; c < channels; c++) {
          const at = bestAt[c]!;
          if (at >= 0) out[at] = out[at]! + gradient[from + c]!;
        }
      }
    }
  }
  return dx;
}

/** The common 2×2, stride 2, unpadded pooling: windows do not overlap, four scalar compares per value. */
function routeTwoByTwo(
  x: Float32Array,
  gradient: Float32Array,
  out: Float32Array,
  batchSize: number,
  inHeight: number,
  inWidth: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): void {
  const rowStride = inWidth * channels;
  for (let n = 0; n < batchSize; n++) {
    for (let i = 0; i < outHeight; i++) {
      const rowStart = (n * inHeight + i * 2) * rowStride;
      let from = (n * outHeight + i) * outWidth * channels;
      for (let j = 0; j < outWidth; j++) {
        const windowStart = rowStart + j * 2 * channels;
        for (let c = 0; c < channels; c++, from++) {
          const topLeft = windowStart + c;
          const topRight = topLeft + channels;
          const bottomLeft = topLeft + rowStride;
          const bottomRight = bottomLeft + channels;
          let at = topLeft;
          let best = x[topLeft]!;
          if (x[topRight]! > best) {
            best = x[topRight]!;
            at = topRight;
          }
          if (x[bottomLeft]! > best) {
            best = x[bottomLeft]!;
            at = bottomLeft;
          }
          if (x[bottomRight]! > best) at = bottomRight;
          out[topLeft] = 0;
          out[topRight] = 0;
          out[bottomLeft] = 0;
          out[bottomRight] = 0;
          out[at] = gradient[from]!;
        }
      }
    }
  }
}

/** `MaxPoolGrad` for the wasm backend, replacing the stock one. */
export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
