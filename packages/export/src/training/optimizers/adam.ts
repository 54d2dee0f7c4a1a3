import type { AdamSettings } from '../types.js';
import { hyperParameter, type OptimizerConfig } from './types.js';

/**
 * tfjs's Adam, operation for operation: `m ← m·β₁ + g·(1−β₁)`, `v ← v·β₂ + g²·(1−β₂)`,
 * `w ← (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε) · −lr + w`, with `β^t = β^(step + 1)` where `step` is the
 * iteration count before this step (tfjs's `iter`; its `setWeights` sets the powers the same way).
 * Slots `m` then `v`.
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
    return {
      correction1: ops.sub(one, ops.node('Pow', [ops.scalar(settings.beta1, 'beta1'), power])),
      correction2: ops.sub(one, ops.node('Pow', [ops.scalar(settings.beta2, 'beta2'), power])),
      negativeRate: ops.node('Neg', [learningRate]),
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
    const corrected1 = ops.div(m, shared.correction1!);
    const corrected2 = ops.div(v, shared.correction2!);
    const denominator = ops.add(ops.node('Sqrt', [corrected2]), ops.scalar(settings.epsilon, 'epsilon'));
    const next = ops.add(ops.mul(ops.div(corrected1, denominator), shared.negativeRate!), value);
    return { value: next, slots: { m, v } };
  },
};
