import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convolve, heapFloat32, release, runWasmKernel, type WasmKernelArgs } from './wasm-ops.js';

/**
 * The gradient of a 2-D convolution with respect to its filter, computed as one FORWARD
 * convolution (XNNPACK) on transposed operands.
 *
 * dW[a, b, ci, co] = Σ_{n, i, j} x[n, i·s + a·d − padTop, j·s + b·d − padLeft, ci] · dy[n, i, j, co]
 *
 * Read x as a batch of `Ci` single images with `N` channels (x' = [Ci, H, W, N]) and dy as a filter
 * of size Ho×Wo taking N channels to Co (dy' = [Ho, Wo, N, Co]): the sum above is then the forward
 * convolution of x' by dy' with stride d (the original dilation) and dilation s (the original
 * stride), producing [Ci, kh, kw, Co], transposed back to [kh, kw, Ci, Co].
 */
function conv2dBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const x = inputs.x;
  const dy = inputs.dy;
  if (x === undefined || dy === undefined)
    throw new TypeError("Conv2DBackpropFilter needs inputs 'x' and 'dy'.");
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new RangeError(`Conv2DBackpropFilter on wasm supports dataFormat 'NHWC', got '${dataFormat}'.`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  return filterGradient(backend, x, dy, info);
}

/**
 * The filter gradient for a convolution described by `info` (strides, dilations, padding),
 * usable by other kernels (the fused convolution's gradient).
 *
 * @example
 * const info = tf.backend_util.computeConv2DInfo(x.shape, [3, 3, 1, 32], 1, 1, 'same');
 * const dW = filterGradient(backend, x, dy, info); // TensorInfo [3, 3, 1, 32]
 */
export function filterGradient(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  if (info.filterHeight * info.filterWidth * info.inChannels < info.outChannels) {
    return filterGradientByPatches(backend, x, dy, info);
  }
  if (fitsInputAsFilter(info)) return filterGradientWithInputAsFilter(backend, x, dy, info);
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { inHeight, inWidth, outHeight, outWidth, padInfo } = info;
  const padBottom = Math.max(
    0,
    (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1 - inHeight - padInfo.top,
  );
  const padRight = Math.max(
    0,
    (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1 - inWidth - padInfo.left,
  );

  const images = runWasmKernel(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] });
  const kernel = runWasmKernel(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const products = convolve(
    backend,
    images,
    kernel,
    { top: padInfo.top, bottom: padBottom, left: padInfo.left, right: padRight },
    { strides: [dilationHeight, dilationWidth], dilations: [strideHeight, strideWidth] },
  );
  release(backend, images, kernel);

  let cropped = products;
  if (products.shape[1] !== filterHeight || products.shape[2] !== filterWidth) {
    cropped = runWasmKernel(
      backend,
      'Slice',
      { x: products },
      { begin: [0, 0, 0, 0], size: [info.inChannels, filterHeight, filterWidth, info.outChannels] },
    );
    release(backend, products);
  }
  const gradient = runWasmKernel(backend, 'Transpose', { x: cropped }, { perm: [1, 2, 0, 3] });
  release(backend, cropped);
  return gradient;
}

/** Padding of dy for the input-as-filter route: the rotated filter's offsets, then to size kh×kw. */
function inputAsFilterPadding(info: tf.backend_util.Conv2DInfo) {
  const { filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth, padInfo } = info;
  return {
    top: filterHeight - 1 - padInfo.top,
    bottom: inHeight - outHeight + padInfo.top,
    left: filterWidth - 1 - padInfo.left,
    right: inWidth - outWidth + padInfo.left,
  };
}

/**
 * Unit stride and dilation, x no larger than dy (ci ≤ co) and enough input channels to fill
 * XNNPACK's output tiles: then x makes the smaller operand to pack.
 */
function fitsInputAsFilter(info: tf.backend_util.Conv2DInfo): boolean {
  const { top, bottom, left, right } = inputAsFilterPadding(info);
  return (
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.inChannels >= 8 &&
    info.inChannels <= info.outChannels &&
    Math.min(top, bottom, left, right) >= 0
  );
}

/**
 * With unit stride, dW[a, b, ci, co] = Σ_{n, h, w} dy[n, h + padTop − a, w + padLeft − b, co] · x[n, h, w, ci]:
 * the forward convolution of dy'' = [co, ho, wo, n] by x'' = [h, w, n, ci] as the filter, with
 * dy padded by kh − 1 − padTop above, gives dW rotated 180° as [co, kh, kw, ci]. XNNPACK packs
 * the filter operand afresh on every call (several ns per value), and x'' is the smaller one.
 */
function filterGradientWithInputAsFilter(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { filterHeight, filterWidth, inChannels, outChannels } = info;
  const padding = inputAsFilterPadding(info);
  const gradients = runWasmKernel(backend, 'Transpose', { x: dy }, { perm: [3, 1, 2, 0] });
  const kernel = runWasmKernel(backend, 'Transpose', { x }, { perm: [1, 2, 0, 3] });
  const rotated = convolve(backend, gradients, kernel, padding);
  release(backend, gradients, kernel);

  const gradient = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  const source = heapFloat32(backend, rotated);
  const target = heapFloat32(backend, gradient);
  for (let co = 0; co < outChannels; co++) {
    for (let a = 0; a < filterHeight; a++) {
      for (let b = 0; b < filterWidth; b++) {
        const from =
          ((co * filterHeight + (filterHeight - 1 - a)) * filterWidth + (filterWidth - 1 - b)) * inChannels;
        const to = (a * filterWidth + b) * inChannels * outChannels + co;
        for (let ci = 0; ci < inChannels; ci++) target[to + ci * outChannels] = source[from + ci]!;
      }
    }
  }
  release(backend, rotated);
  return gradient;
}

/**
 * The filter gradient as one matrix product dyᵀ · P, where P [n·ho·wo, kh·kw·ci] holds the
 * input patch under every output position (im2col). XNNPACK packs the right-hand operand of a
 * product afresh on every call at several ns per value; when kh·kw·ci < co (a first layer on
 * one-channel images), P is smaller than dy, so this packs less than the convolution route.
 */
function filterGradientByPatches(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, padInfo } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const positions = batchSize * outHeight * outWidth;
  const patchSize = filterHeight * filterWidth * inChannels;

  const patches = backend.makeOutput([1, positions, patchSize], 'float32');
  const source = heapFloat32(backend, x);
  const target = heapFloat32(backend, patches);
  let at = 0;
  for (let n = 0; n < batchSize; n++) {
    for (let i = 0; i < outHeight; i++) {
      for (let j = 0; j < outWidth; j++) {
        for (let a = 0; a < filterHeight; a++) {
          const row = i * strideHeight + a * dilationHeight - padInfo.top;
          for (let b = 0; b < filterWidth; b++) {
            const column = j * strideWidth + b * dilationWidth - padInfo.left;
            if (row < 0 || row >= inHeight || column < 0 || column >= inWidth) {
              target.fill(0, at, at + inChannels);
            } else {
              const from = ((n * inHeight + row) * inWidth + column) * inChannels;
              for (let c = 0; c < inChannels; c++) target[at + c] = source[from + c]!;
            }
            at += inChannels;
          }
        }
      }
    }
  }

  const gradientsByChannel = runWasmKernel(
    backend,
    'Transpose',
    { x: { ...dy, shape: [positions, outChannels] } },
    { perm: [1, 0] },
  );
  const product = runWasmKernel(
    backend,
    'BatchMatMul',
    { a: { ...gradientsByChannel, shape: [1, outChannels, positions] }, b: patches },
    { transposeA: false, transposeB: false },
  );
  release(backend, gradientsByChannel, patches);
  const gradient = runWasmKernel(
    backend,
    'Transpose',
    { x: { ...product, shape: [outChannels, patchSize] } },
    { perm: [1, 0] },
  );
  release(backend, product);
  return { ...gradient, shape: [filterHeight, filterWidth, inChannels, outChannels] };
}

/** `Conv2DBackpropFilter` for the wasm backend (stock tfjs has none, so conv nets cannot train). */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
