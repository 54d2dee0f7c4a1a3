import { activationConverter } from './activation.js';
import { batchNormalizationConverter } from './batch-normalization.js';
import { conv2dConverter } from './conv2d.js';
import { conv2dTransposeConverter } from './conv2d-transpose.js';
import { denseConverter } from './dense.js';
import { depthwiseConv2dConverter } from './depthwise-conv2d.js';
import { flattenConverter } from './flatten.js';
import { globalAveragePooling2dConverter, globalMaxPooling2dConverter } from './global-pooling2d.js';
import {
  alphaDropoutConverter,
  dropoutConverter,
  gaussianDropoutConverter,
  gaussianNoiseConverter,
} from './identity.js';
import { inputLayerConverter } from './input-layer.js';
import { layerNormalizationConverter } from './layer-normalization.js';
import {
  addConverter,
  averageConverter,
  concatenateConverter,
  maximumConverter,
  minimumConverter,
  multiplyConverter,
} from './merge.js';
import { cropping2dConverter, zeroPadding2dConverter } from './padding-cropping.js';
import { permuteConverter } from './permute.js';
import { averagePooling2dConverter, maxPooling2dConverter } from './pooling2d.js';
import { ConverterRegistry } from './registry.js';
import {
  eluConverter,
  leakyReluConverter,
  preluConverter,
  reluConverter,
  thresholdedReluConverter,
} from './relu-layers.js';
import { rescalingConverter } from './rescaling.js';
import { reshapeConverter } from './reshape.js';
import { separableConv2dConverter } from './separable-conv2d.js';
import { softmaxConverter } from './softmax.js';
import type { ConverterConfig } from './types.js';
import { upSampling2dConverter } from './up-sampling2d.js';

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
  depthwiseConv2dConverter,
  separableConv2dConverter,
  conv2dTransposeConverter,
  globalAveragePooling2dConverter,
  globalMaxPooling2dConverter,
  reshapeConverter,
  permuteConverter,
  rescalingConverter,
  batchNormalizationConverter,
  layerNormalizationConverter,
  reluConverter,
  leakyReluConverter,
  preluConverter,
  eluConverter,
  thresholdedReluConverter,
  addConverter,
  multiplyConverter,
  averageConverter,
  maximumConverter,
  minimumConverter,
  concatenateConverter,
  zeroPadding2dConverter,
  cropping2dConverter,
  upSampling2dConverter,
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
