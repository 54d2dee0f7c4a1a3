import type { RmspropSettings } from '../types.js';
import { hyperParameter, type OptimizerConfig } from './types.js';

/**
 * tfjs's RMSProp (not centered): `r ← r·decay + g²·(1 − decay)`, `a ← a·momentum + g·lr / √(r + ε)`,
 * `w ← w − a`. Slots `rms` then `momentum` (tfjs keeps the momentum slot even at momentum 0).
 * Defaults as `@cnnx/train` creates it: decay 0.9, momentum 0, ε 1e-7.
 */
export const rmspropOptimizer: OptimizerConfig<RmspropSettings> = {
  name: 'rmsprop',
  resolve: (settings) => ({
    name: 'rmsprop',
    decay: hyperParameter('decay', settings.decay ?? 0.9, 0, 1),
    momentum: hyperParameter('momentum', settings.momentum ?? 0, 0, 1),
    epsilon: hyperParameter('epsilon', settings.epsilon ?? 1e-7, 0, Number.MAX_VALUE),
  }),
  slots: () => ['rms', 'momentum'],
  update: (ops, settings, { value, gradient, slots, learningRate }) => {
    const rms = ops.add(
      ops.mul(slots.rms!, ops.scalar(settings.decay, 'decay')),
      ops.mul(ops.mul(gradient, gradient), ops.scalar(Math.fround(1 - settings.decay), 'one_minus_decay')),
    );
    const scaled = ops.div(
      ops.mul(gradient, learningRate),
      ops.node('Sqrt', [ops.add(rms, ops.scalar(settings.epsilon, 'epsilon'))]),
    );
    const momentum = ops.add(ops.mul(slots.momentum!, ops.scalar(settings.momentum, 'momentum')), scaled);
    return { value: ops.sub(value, momentum), slots: { rms, momentum } };
  },
};
