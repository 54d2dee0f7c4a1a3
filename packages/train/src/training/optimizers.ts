import * as tf from '@tensorflow/tfjs';
import type { LearningRateSchedule, OptimizerName, TrainOptions } from '../types.js';
import { FusedAdamOptimizer } from './fused-adam.js';

export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'sgd', 'rmsprop'];

/** Default learning rate per optimizer (Keras's defaults, sgd's raised to what trains these nets). */
export const DEFAULT_LEARNING_RATES: Readonly<Record<OptimizerName, number>> = {
  adam: 0.001,
  sgd: 0.01,
  rmsprop: 0.001,
};

/**
 * Creates the tfjs optimizer for `options`: `adam` (fused into one kernel per variable on wasm),
 * `sgd` (plain, or with momentum and optionally Nesterov) or `rmsprop`.
 *
 * @example
 * const optimizer = createOptimizer({ optimizer: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true });
 */
export function createOptimizer(options: TrainOptions): tf.Optimizer {
  const name = options.optimizer ?? 'adam';
  const rate = options.learningRate ?? DEFAULT_LEARNING_RATES[name];
  switch (name) {
    case 'adam':
      return new FusedAdamOptimizer(rate);
    case 'sgd': {
      const momentum = options.momentum ?? (options.nesterov ? 0.9 : 0);
      return momentum > 0 ? tf.train.momentum(rate, momentum, options.nesterov ?? false) : tf.train.sgd(rate);
    }
    case 'rmsprop':
      return tf.train.rmsprop(rate, 0.9, options.momentum ?? 0, 1e-7);
    default:
      throw new RangeError(
        `'optimizer' must be one of ${OPTIMIZER_NAMES.join(', ')}; got ${JSON.stringify(name)}`,
      );
  }
}

/**
 * Changes a tfjs optimizer's learning rate in place (tfjs has no public setter for all of them).
 *
 * @example
 * setLearningRate(optimizer, 0.0005); // the next step uses the new rate
 */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  const settable = optimizer as unknown as { learningRate: number; setLearningRate?: (rate: number) => void };
  if (typeof settable.setLearningRate === 'function') settable.setLearningRate(rate);
  settable.learningRate = rate;
}

/**
 * The learning rate of epoch `epoch` (1-based) under an epoch-based schedule. `plateau` is stateful
 * and handled by the loop: here it returns `current`.
 *
 * @example
 * scheduledLearningRate({ type: 'step', everyEpochs: 2, factor: 0.5 }, 0.01, 0.01, 5, 10); // 0.0025
 */
export function scheduledLearningRate(
  schedule: LearningRateSchedule,
  base: number,
  current: number,
  epoch: number,
  epochs: number,
): number {
  switch (schedule.type) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.factor ** Math.floor((epoch - 1) / schedule.everyEpochs);
    case 'cosine': {
      const floor = schedule.minLearningRate ?? 0;
      // Evaluated at the start of each epoch over `epochs` (as PyTorch's CosineAnnealingLR with T_max =
      // epochs): the last epoch still learns at a small rate instead of repeating the previous one at the floor.
      const progress = (epoch - 1) / epochs;
      return floor + ((base - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
    case 'plateau':
      return current;
  }
}
