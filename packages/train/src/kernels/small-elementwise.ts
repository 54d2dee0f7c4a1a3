import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { stockKernel } from './stock-kernels.js';
import { heapFloat32, type WasmKernelArgs } from './wasm-ops.js';

/**
 * Outputs up to this many values are computed in JavaScript on the calling thread: the stock
 * binary kernels run XNNPACK on the thread pool, and with two threads a [64, 1] × [64, 10]
 * product then takes 0.24-0.35 ms (waking the pool) against 0.008 ms on one thread.
 */
const SMALL_OUTPUT = 16_384;

/**
 * `combine(a, b)` elementwise with tfjs broadcasting, for float32 operands whose output has at most
 * {@link SMALL_OUTPUT} values; null otherwise (the caller then runs the stock kernel). Each value is
 * rounded to float32 once, as the stock kernels do.
 *
 * @example
 * const product = smallBinary(backend, a, b, (x, y) => x * y) ?? stockKernel('Multiply')(args);
 */
export function smallBinary(
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  combine: (left: number, right: number) => number,
): tf.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(shape);
  if (size > SMALL_OUTPUT) return null;
  const out = backend.makeOutput(shape, 'float32');
  const left = heapFloat32(backend, a);
  const right = heapFloat32(backend, b);
  const target = heapFloat32(backend, out);
  const leftStrides = broadcastStrides(a.shape, shape);
  const rightStrides = broadcastStrides(b.shape, shape);
  for (let index = 0; index < size; index++) {
    let rest = index;
    let leftIndex = 0;
    let rightIndex = 0;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      const extent = shape[axis]!;
      const coordinate = rest % extent;
      rest = (rest - coordinate) / extent;
      leftIndex += coordinate * leftStrides[axis]!;
      rightIndex += coordinate * rightStrides[axis]!;
    }
    target[index] = combine(left[leftIndex]!, right[rightIndex]!);
  }
  return out;
}

/**
 * `combine(a, b)` for kernel `kernelName`: in JavaScript for small outputs ({@link smallBinary}), by the
 * stock kernel otherwise.
 *
 * @example
 * const sum = smallBinaryOrStock('Add', args, (x, y) => x + y);
 */
export function smallBinaryOrStock(
  kernelName: string,
  args: WasmKernelArgs,
  combine: (left: number, right: number) => number,
): tf.TensorInfo {
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined) throw new TypeError(`${kernelName} needs inputs 'a' and 'b'.`);
  return smallBinary(args.backend, a, b, combine) ?? (stockKernel(kernelName)(args) as tf.TensorInfo);
}

/**
 * A wasm kernel that replaces the stock binary kernel `kernelName` for small float32 outputs (the
 * loss's [64, 10] tensors), computed on the calling thread; see {@link smallBinary}.
 *
 * @example
 * addTrainingKernel(smallBinaryKernel('Multiply', (x, y) => x * y));
 */
export function smallBinaryKernel(
  kernelName: string,
  combine: (left: number, right: number) => number,
): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ((args: WasmKernelArgs) =>
      smallBinaryOrStock(kernelName, args, combine)) as unknown as tf.KernelFunc,
  };
}

/** Strides of `shape` laid against the (longer or equal) output shape, 0 along broadcast axes. */
function broadcastStrides(shape: number[], outShape: number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const extent = shape[axis]!;
    if (extent !== 1) strides[axis + outShape.length - shape.length] = stride;
    stride *= extent;
  }
  return strides;
}
