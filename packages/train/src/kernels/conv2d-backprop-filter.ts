import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { swapOuterAndInner } from './transpose.js';
import {
  convolve,
  heapFloat32,
  heapOffset,
  release,
  runWasmKernel,
  type WasmKernelArgs,
} from './wasm-ops.js';
import { simdLoops } from './wasm-simd.js';

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
  const { batchSize, outHeight, outWidth } = info;
  const swapped = swapOuterAndInner(backend, dy, batchSize, outHeight * outWidth, outChannels);
  const gradients = { ...swapped, shape: [outChannels, outHeight, outWidth, batchSize] };
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

/** How much of dy (in bytes) the SIMD product takes at a time: well inside a core's L2 cache. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The filter gradient as one matrix product Pᵀ · dy, where row (a, b, c) of Pᵀ [kh·kw·ci, n·ho·wo]
 * holds input channel c under filter tap (a, b) at every output position (im2col, transposed):
 * the product [kh·kw·ci, co] already is dW's layout, and dy is used as it lies. For a first layer
 * on one-channel images each row is the batch shifted by the tap, copied a row at a time within
 * the heap. The product runs in WebAssembly SIMD when co is a multiple of 16; else XNNPACK packs
 * dy (larger than P) as its right-hand operand, which still costs less than transposing dy for
 * dyᵀ · P. Classic's first layer in a training step: 11 ms for dyᵀ · P, 8 with XNNPACK, 2 in SIMD.
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

  const patches = backend.makeOutput([1, patchSize, positions], 'float32');
  // Element indices into the whole heap (taken after the allocation, which may grow it).
  const heap = backend.wasm.HEAPF32;
  const source = heapOffset(backend, x) / 4;
  const target = heapOffset(backend, patches) / 4;
  heap.fill(0, target, target + patchSize * positions);
  const step = strideWidth * inChannels;
  for (let a = 0; a < filterHeight; a++) {
    for (let b = 0; b < filterWidth; b++) {
      // The output columns whose input column for this tap lies inside the image.
      const shift = b * dilationWidth - padInfo.left;
      const first = Math.max(0, Math.ceil(-shift / strideWidth));
      const end = Math.min(outWidth, Math.floor((inWidth - 1 - shift) / strideWidth) + 1);
      if (end <= first) continue;
      for (let c = 0; c < inChannels; c++) {
        let at = target + ((a * filterWidth + b) * inChannels + c) * positions;
        for (let n = 0; n < batchSize; n++) {
          for (let i = 0; i < outHeight; i++, at += outWidth) {
            const row = i * strideHeight + a * dilationHeight - padInfo.top;
            if (row < 0 || row >= inHeight) continue;
            const from =
              source + ((n * inHeight + row) * inWidth + first * strideWidth + shift) * inChannels + c;
            if (step === 1) {
              heap.copyWithin(at + first, from, from + end - first);
            } else {
              for (let j = first, k = from; j < end; j++, k += step) heap[at + j] = heap[k]!;
            }
          }
        }
      }
    }
  }

  const loops = simdLoops(backend);
  if (loops !== null && outChannels % 16 === 0) {
    // Each row of Pᵀ times dy in WebAssembly SIMD, over chunks of positions whose dy rows stay in
    // cache for every row of Pᵀ: nothing to pack, unlike XNNPACK's product.
    const gradient = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
    heapFloat32(backend, gradient).fill(0);
    const patchesAt = heapOffset(backend, patches);
    const gradientsAt = heapOffset(backend, dy);
    const gradientAt = heapOffset(backend, gradient);
    const rowBytes = outChannels * 4;
    const chunk = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
    for (let start = 0; start < positions; start += chunk) {
      const count = Math.min(chunk, positions - start);
      for (let row = 0; row < patchSize; row++) {
        loops.addColumnTimesRows(
          patchesAt + (row * positions + start) * 4,
          gradientsAt + start * rowBytes,
          count,
          rowBytes,
          gradientAt + row * rowBytes,
        );
      }
    }
    release(backend, patches);
    return gradient;
  }
  const product = runWasmKernel(
    backend,
    'BatchMatMul',
    { a: patches, b: { ...dy, shape: [1, positions, outChannels] } },
    { transposeA: false, transposeB: false },
  );
  release(backend, patches);
  return { ...product, shape: [filterHeight, filterWidth, inChannels, outChannels] };
}

/** `Conv2DBackpropFilter` for the wasm backend (stock tfjs has none, so conv nets cannot train). */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
