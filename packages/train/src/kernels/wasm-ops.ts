import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The arguments tfjs hands a kernel function on the wasm backend. */
export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs?: tf.NamedAttrMap;
}

/**
 * Runs a kernel already registered for the `wasm` backend (XNNPACK convolution, transpose, …)
 * from inside another kernel. The result belongs to the caller: pass it to {@link release} when
 * it is an intermediate, or return it as the kernel's output.
 *
 * @example
 * const xT = runWasmKernel(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] });
 * // … use xT …
 * release(backend, xT);
 */
export function runWasmKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, 'wasm');
  if (kernel === undefined) {
    throw new Error(`The wasm backend has no '${kernelName}' kernel to build on.`);
  }
  const result = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(result)) {
    throw new Error(`The wasm '${kernelName}' kernel returned ${result.length} outputs, expected one.`);
  }
  return result;
}

/** Explicit zero padding of a convolution's height and width, in pixels on each side. */
export interface ConvolutionPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * A forward NHWC convolution on the wasm backend's XNNPACK `Conv2D`, with explicit padding. The
 * gradient kernels are built from it; strides and dilations default to 1.
 *
 * @example
 * const y = convolve(backend, x, filter, { top: 1, bottom: 1, left: 1, right: 1 });
 */
export function convolve(
  backend: BackendWasm,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  padding: ConvolutionPadding,
  options: { strides?: [number, number]; dilations?: [number, number] } = {},
): tf.TensorInfo {
  return runWasmKernel(
    backend,
    'Conv2D',
    { x, filter },
    {
      strides: options.strides ?? [1, 1],
      dilations: options.dilations ?? [1, 1],
      pad: [
        [0, 0],
        [padding.top, padding.bottom],
        [padding.left, padding.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
}

/**
 * Frees intermediate tensors that a kernel made with {@link runWasmKernel}.
 *
 * @example
 * release(backend, paddedInput, transposedFilter);
 */
export function release(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/**
 * A view of a float32 tensor's values in the wasm heap: no copy, valid until the heap grows
 * (any allocation), so take it right before use.
 *
 * @example
 * const values = heapFloat32(backend, dy); // Float32Array over the wasm memory
 */
export function heapFloat32(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('Tensor data is not on the wasm backend.');
  const size = info.shape.reduce((product, dimension) => product * dimension, 1);
  return new Float32Array(backend.wasm.HEAPF32.buffer, data.memoryOffset, size);
}

/**
 * Where a tensor's values start in the wasm heap, in bytes (for {@link simdLoops}' pointers).
 *
 * @example
 * heapOffset(backend, dy); // 5_243_904
 */
export function heapOffset(backend: BackendWasm, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('Tensor data is not on the wasm backend.');
  return data.memoryOffset;
}

/**
 * Normalises a kernel's `strides`/`dilations`/`filterSize` attribute to a pair.
 *
 * @example
 * pair(2); // [2, 2]
 * pair([1, 2]); // [1, 2]
 */
export function pair(value: number | readonly number[]): [number, number] {
  if (typeof value === 'number') return [value, value];
  const [first, second] = value;
  if (first === undefined || second === undefined) {
    throw new RangeError(`Expected a number or a pair of numbers, got [${value.join(', ')}].`);
  }
  return [first, second];
}

/**
 * tfjs's 2-D pooling geometry for an NHWC input of `shape` and a pooling kernel's attributes.
 *
 * @example
 * pool2dInfo([64, 28, 28, 32], { filterSize: 2, strides: 2, pad: 'valid' }).outHeight; // 14
 */
export function pool2dInfo(
  shape: readonly number[],
  attrs: Pick<tf.MaxPoolAttrs, 'filterSize' | 'strides' | 'pad' | 'dimRoundingMode'>,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    pair(attrs.filterSize),
    pair(attrs.strides),
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}
