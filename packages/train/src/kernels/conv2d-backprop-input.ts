import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { stockKernel } from './stock-kernels.js';
import { convolve, heapFloat32, release, type WasmKernelArgs } from './wasm-ops.js';

/**
 * The gradient of a 2-D convolution with respect to its input, computed as one FORWARD
 * convolution (XNNPACK) of dy by the filter rotated 180° with its channel axes swapped.
 *
 * dx[n, h, w, ci] = Σ_{i, j, co} dy[n, i, j, co] · W[h + padTop − i·s, w + padLeft − j·s, ci, co]
 *
 * With stride s > 1, dy is first spread out on a grid with s − 1 zeros between its values; then
 * dx is the correlation of that grid, padded by (kh − 1 − padTop) above, with W rotated.
 */
function conv2dBackpropInput(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const dy = inputs.dy;
  const filter = inputs.filter;
  if (dy === undefined || filter === undefined) {
    throw new TypeError("Conv2DBackpropInput needs inputs 'dy' and 'filter'.");
  }
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new RangeError(`Conv2DBackpropInput on wasm supports dataFormat 'NHWC', got '${dataFormat}'.`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  if (!fitsForwardConvolution(info)) return stockKernel('Conv2DBackpropInput')(args) as tf.TensorInfo;
  return inputGradient(backend, dy, filter, info);
}

/** The padding that the forward convolution needs on the spread-out dy, per side. */
function gradientPadding(info: tf.backend_util.Conv2DInfo) {
  const { inHeight, inWidth, outHeight, outWidth, padInfo, filterHeight, filterWidth } = info;
  const spreadHeight = (outHeight - 1) * info.strideHeight + 1;
  const spreadWidth = (outWidth - 1) * info.strideWidth + 1;
  const top = filterHeight - 1 - padInfo.top;
  const left = filterWidth - 1 - padInfo.left;
  return {
    top,
    left,
    bottom: inHeight + filterHeight - 1 - spreadHeight - top,
    right: inWidth + filterWidth - 1 - spreadWidth - left,
  };
}

/** False for padding wider than the filter, which the forward route cannot express (stock kernel then). */
function fitsForwardConvolution(info: tf.backend_util.Conv2DInfo): boolean {
  const { top, left, bottom, right } = gradientPadding(info);
  return (
    top >= 0 &&
    left >= 0 &&
    bottom >= 0 &&
    right >= 0 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1
  );
}

/**
 * The input gradient for a convolution described by `info`, usable by other kernels.
 *
 * @example
 * const info = tf.backend_util.computeConv2DInfo([64, 14, 14, 32], [3, 3, 32, 64], 1, 1, 'same');
 * const dx = inputGradient(backend, dy, filter, info); // TensorInfo [64, 14, 14, 32]
 */
export function inputGradient(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { inChannels, outChannels } = info;
  if (!fitsForwardConvolution(info)) {
    throw new RangeError(
      `inputGradient needs padding no wider than the ${filterHeight}×${filterWidth} filter and no dilation, got ${JSON.stringify(info.padInfo)}.`,
    );
  }
  const padding = gradientPadding(info);

  const rotated = rotateFilter(backend, filter, filterHeight, filterWidth, inChannels, outChannels);
  const spread =
    strideHeight === 1 && strideWidth === 1
      ? dy
      : spreadOut(backend, dy, [batchSize, outHeight, outWidth, outChannels], strideHeight, strideWidth);
  const dx = convolve(backend, spread, rotated, padding);
  release(backend, rotated);
  if (spread !== dy) release(backend, spread);
  return dx;
}

/** W[kh, kw, ci, co] → W'[kh, kw, co, ci] with W'[a, b, co, ci] = W[kh−1−a, kw−1−b, ci, co]. */
function rotateFilter(
  backend: BackendWasm,
  filter: tf.TensorInfo,
  height: number,
  width: number,
  inChannels: number,
  outChannels: number,
): tf.TensorInfo {
  const rotated = backend.makeOutput([height, width, outChannels, inChannels], 'float32');
  const source = heapFloat32(backend, filter);
  const target = heapFloat32(backend, rotated);
  const plane = inChannels * outChannels;
  for (let a = 0; a < height; a++) {
    for (let b = 0; b < width; b++) {
      const from = ((height - 1 - a) * width + (width - 1 - b)) * plane;
      const to = (a * width + b) * plane;
      for (let ci = 0; ci < inChannels; ci++) {
        for (let co = 0; co < outChannels; co++) {
          target[to + co * inChannels + ci] = source[from + ci * outChannels + co]!;
        }
      }
    }
  }
  return rotated;
}

/** dy [n, ho, wo, c] → [n, (ho−1)·sh+1, (wo−1)·sw+1, c] with dy's values on every sh-th row, sw-th column. */
function spreadOut(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  [batch, height, width, channels]: [number, number, number, number],
  strideHeight: number,
  strideWidth: number,
): tf.TensorInfo {
  const spreadHeight = (height - 1) * strideHeight + 1;
  const spreadWidth = (width - 1) * strideWidth + 1;
  const spread = backend.makeOutput([batch, spreadHeight, spreadWidth, channels], 'float32');
  const source = heapFloat32(backend, dy);
  const target = heapFloat32(backend, spread);
  target.fill(0);
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < height; i++) {
      const targetRow = (n * spreadHeight + i * strideHeight) * spreadWidth;
      const sourceRow = (n * height + i) * width;
      for (let j = 0; j < width; j++) {
        const from = (sourceRow + j) * channels;
        target.set(source.subarray(from, from + channels), (targetRow + j * strideWidth) * channels);
      }
    }
  }
  return spread;
}

/** `Conv2DBackpropInput` for the wasm backend, replacing the stock one (a slow direct loop). */
export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
};
