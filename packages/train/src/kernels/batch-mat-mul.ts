import type * as tf from '@tensorflow/tfjs';
import { stockKernel } from './stock-kernels.js';
import { swapOuterAndInner } from './transpose.js';
import { release, runWasmKernel, type WasmKernelArgs } from './wasm-ops.js';

/**
 * `BatchMatMul` with transposed operands: the stock wasm kernel multiplies transposed operands
 * in a slow scalar loop (24 ms for the Dense layer's weight gradient, against 1.7 ms untransposed),
 * so transpose them explicitly (0.2 ms) and hand the product to the stock XNNPACK path.
 *
 * For a · bᵀ with a large b (the Dense layer's input gradient dy · Wᵀ, W 3136×128) it computes
 * (b · aᵀ)ᵀ instead: only the small a and the product are transposed, and XNNPACK packs aᵀ as its
 * right-hand operand rather than all of bᵀ (classic's first Dense layer: 3.3 -> 1.4 ms).
 */
function batchMatMul(args: WasmKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const a = inputs.a;
  const b = inputs.b;
  if (a === undefined || b === undefined) throw new TypeError("BatchMatMul needs inputs 'a' and 'b'.");
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const stock = stockKernel('BatchMatMul');
  if (!transposeA && !transposeB) return stock(args) as tf.TensorInfo;
  if (!transposeA && transposeB && swapsCheaper(a.shape, b.shape)) {
    const aT = transposeLastTwo(backend, a);
    const productT = stock({
      inputs: { a: b, b: aT },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
    release(backend, aT);
    const product = transposeLastTwo(backend, productT);
    release(backend, productT);
    return product;
  }
  const left = transposeA ? transposeLastTwo(args.backend, a) : a;
  const right = transposeB ? transposeLastTwo(args.backend, b) : b;
  const product = stock({
    inputs: { a: left, b: right },
    backend,
    attrs: { ...attrs, transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
  if (left !== a) release(backend, left);
  if (right !== b) release(backend, right);
  return product;
}

/**
 * Whether (b · aᵀ)ᵀ moves fewer values than a · bᵀ does: transposing a [m, k] and the product
 * [m, n] against transposing b [n, k]. Only for unbatched products (rank 2, or rank 3 with one
 * matrix each), so that nothing broadcasts.
 */
function swapsCheaper(aShape: number[], bShape: number[]): boolean {
  const unbatched = (shape: number[]) => shape.length === 2 || (shape.length === 3 && shape[0] === 1);
  if (!unbatched(aShape) || aShape.length !== bShape.length) return false;
  const [m = 0, k = 0] = aShape.slice(-2);
  const [n = 0] = bShape.slice(-2);
  return m * k + m * n < n * k;
}

/** Swaps a tensor's last two axes: in WebAssembly SIMD for one matrix, with the stock kernel for a batch. */
function transposeLastTwo(backend: WasmKernelArgs['backend'], x: tf.TensorInfo): tf.TensorInfo {
  const [rows = 0, columns = 0] = x.shape.slice(-2);
  if (x.shape.length === 2 || (x.shape.length === 3 && x.shape[0] === 1)) {
    const swapped = swapOuterAndInner(backend, x, rows, 1, columns);
    return { ...swapped, shape: [...x.shape.slice(0, -2), columns, rows] };
  }
  const perm = x.shape.map((_, axis) => axis);
  const last = perm.length - 1;
  perm[last] = last - 1;
  perm[last - 1] = last;
  return runWasmKernel(backend, 'Transpose', { x }, { perm });
}

/** `BatchMatMul` for the wasm backend, replacing the stock one for transposed operands. */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
