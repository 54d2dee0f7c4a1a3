import type { SgdSettings } from '../types.js';
import { hyperParameter, type OptimizerConfig } from './types.js';

/**
 * tfjs's SGD (`w ← −lr·g + w`, no slot) and, with momentum, its MomentumOptimizer:
 * `a ← momentum·a + g`, then `w ← −lr·a + w`, or with Nesterov `w ← −lr·(g + a·momentum) + w`. Slot
 * `momentum`. As `@cnnx/train`, Nesterov without a momentum means 0.9.
 */
export const sgdOptimizer: OptimizerConfig<SgdSettings> = {
  name: 'sgd',
  resolve: (settings) => {
    const nesterov = settings.nesterov ?? false;
    return {
      name: 'sgd',
      momentum: hyperParameter('momentum', settings.momentum ?? (nesterov ? 0.9 : 0), 0, 1),
      nesterov,
    };
  },
  slots: (settings) => (settings.momentum > 0 ? ['momentum'] : []),
  prepare: (ops, _settings, { learningRate }) => ({ negativeRate: ops.node('Neg', [learningRate]) }),
  update: (
    ops,
    settings,
    { value, gradient, slots },
    shared,
  ): { value: string; slots: Record<string, string> } => {
    const rate = shared.negativeRate!;
    if (settings.momentum === 0) return { value: ops.add(ops.mul(rate, gradient), value), slots: {} };
    const momentum = ops.scalar(settings.momentum, 'momentum');
    const accumulation = ops.add(ops.mul(momentum, slots.momentum!), gradient);
    const step = settings.nesterov ? ops.add(gradient, ops.mul(accumulation, momentum)) : accumulation;
    return { value: ops.add(ops.mul(rate, step), value), slots: { momentum: accumulation } };
  },
};
