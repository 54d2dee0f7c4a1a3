import type * as tf from '@tensorflow/tfjs';
import { heapFloat32, heapOffset, type WasmKernelArgs } from './wasm-ops.js';
import { simdLoops } from './wasm-simd.js';

/** The kernel's name: not a tfjs kernel, only cnnx's fused Adam optimizer runs it. */
export const ADAM_UPDATE = 'CnnxAdamUpdate';

/** The scalar settings of one Adam step. */
export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * One Adam step for one variable in a single pass over the wasm heap (WebAssembly SIMD): the new
 * first and second moments and the new weights, instead of stock tfjs's ten elementwise kernels. Every operation
 * is rounded to float32 in the order stock tfjs applies them, so the results are the same bits.
 *
 * Inputs: `variable`, `gradient`, `firstMoment`, `secondMoment` (same shape), and the scalars
 * `accBeta1`, `accBeta2` (β₁ᵗ and β₂ᵗ for this step). Outputs, all new: the variable, the first
 * moment and the second moment.
 */
function adamUpdate(args: WasmKernelArgs): tf.TensorInfo[] {
  const { inputs, backend, attrs = {} } = args;
  const { variable, gradient, firstMoment, secondMoment, accBeta1, accBeta2 } = inputs;
  if (
    variable === undefined ||
    gradient === undefined ||
    firstMoment === undefined ||
    secondMoment === undefined ||
    accBeta1 === undefined ||
    accBeta2 === undefined
  ) {
    throw new TypeError(
      `${ADAM_UPDATE} needs inputs 'variable', 'gradient', 'firstMoment', 'secondMoment', 'accBeta1' and 'accBeta2'.`,
    );
  }
  for (const input of [variable, gradient, firstMoment, secondMoment]) {
    if (input.dtype !== 'float32')
      throw new TypeError(`${ADAM_UPDATE} works on float32, got ${input.dtype}.`);
  }
  const { learningRate, beta1, beta2, epsilon } = attrs as unknown as AdamUpdateAttrs;

  const newVariable = backend.makeOutput(variable.shape, 'float32');
  const newFirstMoment = backend.makeOutput(variable.shape, 'float32');
  const newSecondMoment = backend.makeOutput(variable.shape, 'float32');
  // Views are taken after the allocations, which may grow (and move) the heap.
  const weights = heapFloat32(backend, variable);
  const gradients = heapFloat32(backend, gradient);
  const first = heapFloat32(backend, firstMoment);
  const second = heapFloat32(backend, secondMoment);
  const outWeights = heapFloat32(backend, newVariable);
  const outFirst = heapFloat32(backend, newFirstMoment);
  const outSecond = heapFloat32(backend, newSecondMoment);

  const f32 = Math.fround;
  const keep1 = f32(beta1);
  const take1 = f32(1 - beta1);
  const keep2 = f32(beta2);
  const take2 = f32(1 - beta2);
  const correction1 = f32(1 - heapFloat32(backend, accBeta1)[0]!);
  const correction2 = f32(1 - heapFloat32(backend, accBeta2)[0]!);
  const offset = f32(epsilon);
  const rate = f32(-learningRate);
  // Four lanes at a time in WebAssembly SIMD; the last few (or all, without it) here.
  const loops = simdLoops(backend);
  const vectorised = loops === null ? 0 : weights.length & ~3;
  loops?.adam(
    heapOffset(backend, variable),
    heapOffset(backend, gradient),
    heapOffset(backend, firstMoment),
    heapOffset(backend, secondMoment),
    heapOffset(backend, newVariable),
    heapOffset(backend, newFirstMoment),
    heapOffset(backend, newSecondMoment),
    vectorised * 4,
    keep1,
    take1,
    keep2,
    take2,
    correction1,
    correction2,
    offset,
    rate,
  );
  for (let i = vectorised; i < weights.length; i++) {
    const g = gradients[i]!;
    const m = f32(f32(first[i]! * keep1) + f32(g * take1));
    const v = f32(f32(second[i]! * keep2) + f32(f32(g * g) * take2));
    const denominator = f32(f32(Math.sqrt(f32(v / correction2))) + offset);
    outFirst[i] = m;
    outSecond[i] = v;
    outWeights[i] = f32(f32(f32(m / correction1) / denominator) * rate) + weights[i]!;
  }
  return [newVariable, newFirstMoment, newSecondMoment];
}

/** The fused Adam step for the wasm backend (see `FusedAdamOptimizer`). */
export const adamUpdateConfig: tf.KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: 'wasm',
  kernelFunc: adamUpdate as unknown as tf.KernelFunc,
};
