export { DatasetFormatError, DatasetNotFoundError } from './errors.js';
export { prepareDigitPixels, rgbaToGray } from './prepare-digit-pixels.js';
export { createRandom, type Random } from './random.js';
export { stratifiedSplit, subset } from './split.js';
export { oneHot, pixelStatistics, scaleTable, standardization, toFloat32 } from './tensors.js';
export type * from './types.js';

export const version = '0.1.0';
