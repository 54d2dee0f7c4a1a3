import type { AdamSettings } from '../types.js';
import { hyperParameter, type OptimizerConfig } from './types.js';

/**
 * tfjs's Adam: `m ← m·β₁ + g·(1−β₁)`, `v ← v·β₂ + g²·(1−β₂)` operation for operation, and
 * `w ← (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε) · −lr + w` with the bias corrections moved onto the
 * scalars: `w ← m / (√v + ε·√c₂) · (−lr·√c₂ / c₁) + w` (`cᵢ = 1 − βᵢᵗ`), the same value in 5 passes over
 * the parameter instead of 7 (the dense layer of `classic` has 401,536 weights). `β^t = β^(step + 1)`
 * where `step` is the iteration count before this step (tfjs's `iter`; its `setWeights` sets the powers
 * the same way). Slots `m` then `v`.
 */
export const adamOptimizer: OptimizerConfig<AdamSettings> = {
  name: 'adam',
  resolve: (settings) => ({
    name: 'adam',
    beta1: hyperParameter('beta1', settings.beta1 ?? 0.9, 0, 1),
    beta2: hyperParameter('beta2', settings.beta2 ?? 0.999, 0, 1),
    epsilon: hyperParameter('epsilon', settings.epsilon ?? 1e-7, 0, Number.MAX_VALUE),
  }),
  slots: () => ['m', 'v'],
  prepare: (ops, settings, { learningRate, step }) => {
    const power = ops.add(step, ops.scalar(1, 'one'));
    const one = ops.scalar(1, 'one');
    const correction1 = ops.sub(one, ops.node('Pow', [ops.scalar(settings.beta1, 'beta1'), power]));
    const root2 = ops.node('Sqrt', [
      ops.sub(one, ops.node('Pow', [ops.scalar(settings.beta2, 'beta2'), power])),
    ]);
    return {
      stepSize: ops.div(ops.mul(ops.node('Neg', [learningRate]), root2), correction1),
      epsilon: ops.mul(ops.scalar(settings.epsilon, 'epsilon'), root2),
    };
  },
  update: (ops, settings, { value, gradient, slots }, shared) => {
    const m = ops.add(
      ops.mul(slots.m!, ops.scalar(settings.beta1, 'beta1')),
      ops.mul(gradient, ops.scalar(Math.fround(1 - settings.beta1), 'one_minus_beta1')),
    );
    const v = ops.add(
      ops.mul(slots.v!, ops.scalar(settings.beta2, 'beta2')),
      ops.mul(ops.mul(gradient, gradient), ops.scalar(Math.fround(1 - settings.beta2), 'one_minus_beta2')),
    );
    const denominator = ops.add(ops.node('Sqrt', [v]), shared.epsilon!);
    const next = ops.add(ops.mul(ops.div(m, denominator), shared.stepSize!), value);
    return { value: next, slots: { m, v } };
  },
};
