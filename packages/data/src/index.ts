export { DatasetFormatError, DatasetNotFoundError } from './errors.js';
export { readDatasetFile, sha256 } from './files.js';
export { HOLDOUT_FRACTION, type LoadDatasetOptions, loadDataset } from './load-dataset.js';
export { type PrepareDigitFileOptions, prepareDigit } from './prepare-digit.js';
export { prepareDigitPixels, rgbaToGray } from './prepare-digit-pixels.js';
export { createRandom, type Random } from './random.js';
export { loadMnistSample } from './sources/mnist-sample.js';
export { stratifiedSplit, subset } from './split.js';
export { oneHot, pixelStatistics, scaleTable, standardization, toFloat32 } from './tensors.js';
export type * from './types.js';

export const version = '0.1.0';
