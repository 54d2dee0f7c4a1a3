import type { ConverterConfig } from './types.js';

const passThrough = (className: string): ConverterConfig => ({
  className,
  convert: (context) => ({ ...context.inputs[0]!, affine: undefined }),
});

/** Dropout: the identity at inference, so no node at all. */
export const dropoutConverter = passThrough('Dropout');
/** SpatialDropout… and the noise layers are also the identity at inference. */
export const gaussianNoiseConverter = passThrough('GaussianNoise');
export const gaussianDropoutConverter = passThrough('GaussianDropout');
export const alphaDropoutConverter = passThrough('AlphaDropout');
