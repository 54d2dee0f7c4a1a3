export { type Augmentation, augmentImage, augments } from './augment.js';
export { type Batch, type BatchOptions, batches } from './batches.js';
export {
  DatasetFormatError,
  DatasetNotFoundError,
  DownloadError,
  ModelFormatError,
  PathOutsideFolderError,
  type UnsupportedLayerDetails,
  UnsupportedLayerError,
} from './errors.js';
export { type CsvImages, parseCsv } from './formats/csv.js';
export { encodeIdx, type IdxArray, parseIdx } from './formats/idx.js';
export { encodeNpy, type NpyArray, parseNpy } from './formats/npy.js';
export {
  affineOf,
  formatInputScale,
  type InputScale,
  inputScaleOf,
  type PixelAffine,
  type PixelScale,
  parseInputScale,
} from './input-scale.js';
export { checkLabels, defaultClassNames } from './labels.js';
export { luma, onWhite } from './luma.js';
export {
  type CleanedPage,
  type CleanPageOptions,
  cleanPage,
  type PageImage,
  PREPARE_WORKING_SIZE,
} from './page/clean-page.js';
export { prepareDigitImage, prepareDigitPixels, rgbaToGray } from './prepare-digit-pixels.js';
export { createRandom, type Random } from './random.js';
export { stratifiedSample, stratifiedSplit, subset } from './split.js';
export { oneHot, pixelStatistics, scaleTable, standardization, toFloat32 } from './tensors.js';
export type * from './types.js';

export const version = '0.1.0';
