import { activationConverter } from './activation.js';
import { conv2dConverter } from './conv2d.js';
import { denseConverter } from './dense.js';
import { flattenConverter } from './flatten.js';
import {
  alphaDropoutConverter,
  dropoutConverter,
  gaussianDropoutConverter,
  gaussianNoiseConverter,
} from './identity.js';
import { inputLayerConverter } from './input-layer.js';
import { averagePooling2dConverter, maxPooling2dConverter } from './pooling2d.js';
import { ConverterRegistry } from './registry.js';
import { softmaxConverter } from './softmax.js';
import type { ConverterConfig } from './types.js';

/** Every converter the exporter ships, one per tfjs layer class. */
export const converterConfigs: readonly ConverterConfig[] = [
  inputLayerConverter,
  conv2dConverter,
  maxPooling2dConverter,
  averagePooling2dConverter,
  flattenConverter,
  denseConverter,
  dropoutConverter,
  gaussianNoiseConverter,
  gaussianDropoutConverter,
  alphaDropoutConverter,
  activationConverter,
  softmaxConverter,
];

/**
 * A registry holding every shipped converter.
 *
 * @example
 * createDefaultRegistry().supported(); // ['Activation', 'AlphaDropout', 'AveragePooling2D', ...]
 */
export function createDefaultRegistry(): ConverterRegistry {
  const registry = new ConverterRegistry();
  for (const config of converterConfigs) registry.register(config.className, config.convert);
  return registry;
}
