import type { OptimizerSettings } from '../types.js';
import { adamOptimizer } from './adam.js';
import { rmspropOptimizer } from './rmsprop.js';
import { sgdOptimizer } from './sgd.js';
import type { OptimizerConfig } from './types.js';

/** The optimizers the training step writes, by name. */
export const optimizerConfigs: Readonly<Record<OptimizerSettings['name'], OptimizerConfig>> = {
  adam: adamOptimizer as OptimizerConfig,
  sgd: sgdOptimizer as OptimizerConfig,
  rmsprop: rmspropOptimizer as OptimizerConfig,
};

/**
 * The optimizer config for `settings` (a name or an object), or a RangeError naming the accepted ones.
 *
 * @example
 * optimizerFor('sgd').name; // 'sgd'
 */
export function optimizerFor(settings: OptimizerSettings | OptimizerSettings['name'] | undefined): {
  config: OptimizerConfig;
  settings: OptimizerSettings;
} {
  const object: OptimizerSettings =
    settings === undefined
      ? { name: 'adam' }
      : typeof settings === 'string'
        ? ({ name: settings } as OptimizerSettings)
        : settings;
  const config = Object.hasOwn(optimizerConfigs, object.name) ? optimizerConfigs[object.name] : undefined;
  if (config === undefined) {
    throw new RangeError(
      `'optimizer' must be one of ${Object.keys(optimizerConfigs).join(', ')}; got ${JSON.stringify(object.name)}`,
    );
  }
  return { config, settings: object };
}
