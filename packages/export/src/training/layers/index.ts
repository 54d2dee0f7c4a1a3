import { TrainerRegistry } from '../registry.js';
import { activationTrainer } from './activation.js';
import { averagePooling2dTrainer } from './average-pooling2d.js';
import { batchNormalizationTrainer } from './batch-normalization.js';
import { conv2dTrainer } from './conv2d.js';
import { denseTrainer } from './dense.js';
import { dropoutTrainer } from './dropout.js';
import { flattenTrainer } from './flatten.js';
import { globalAveragePooling2dTrainer } from './global-average-pooling2d.js';
import { inputLayerTrainer } from './input-layer.js';
import { maxPooling2dTrainer } from './max-pooling2d.js';
import { addTrainer, concatenateTrainer } from './merge.js';
import { reshapeTrainer } from './reshape.js';
import type { TrainerConfig } from './types.js';

/** Every layer the training step differentiates: each one a cnnx preset or model spec can build. */
export const trainerConfigs: readonly TrainerConfig[] = [
  inputLayerTrainer,
  conv2dTrainer,
  maxPooling2dTrainer,
  averagePooling2dTrainer,
  globalAveragePooling2dTrainer,
  flattenTrainer,
  reshapeTrainer,
  denseTrainer,
  dropoutTrainer,
  batchNormalizationTrainer,
  activationTrainer,
  addTrainer,
  concatenateTrainer,
];

/**
 * A registry holding every shipped trainer.
 *
 * @example
 * createTrainerRegistry().supported(); // ['Activation', 'Add', 'AveragePooling2D', 'BatchNormalization', …]
 */
export function createTrainerRegistry(): TrainerRegistry {
  const registry = new TrainerRegistry();
  for (const config of trainerConfigs) registry.register(config);
  return registry;
}
