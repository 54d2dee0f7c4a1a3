export { type Augmentation, augmentImage, augments } from './augment.js';
export { type Batch, type BatchOptions, batches } from './batches.js';
export {
  type DataFolder,
  type DatasetAvailability,
  type DatasetsDescription,
  describeDatasets,
} from './describe-datasets.js';
export { type DownloadOptions, type DownloadProgress, downloadFile } from './download.js';
export {
  DatasetFormatError,
  DatasetNotFoundError,
  DownloadError,
  ModelFormatError,
  PathOutsideFolderError,
  type UnsupportedLayerDetails,
  UnsupportedLayerError,
} from './errors.js';
export {
  type FolderContents,
  readDatasetFile,
  removeStaleTemporaries,
  resolveInsideFolder,
  sha256,
  writeFileAtomic,
  writeFolderAtomic,
} from './files.js';
export { type CsvImages, parseCsv } from './formats/csv.js';
export { encodeIdx, type IdxArray, parseIdx } from './formats/idx.js';
export { encodeNpy, type NpyArray, parseNpy } from './formats/npy.js';
export { type NpzContents, type ParseNpzOptions, parseNpz } from './formats/npz.js';
export {
  affineOf,
  formatInputScale,
  type InputScale,
  inputScaleOf,
  type PixelAffine,
  type PixelScale,
  parseInputScale,
} from './input-scale.js';
export {
  type DatasetSummary,
  renderLabelHistogram,
  renderSampleGrid,
  summarizeDataset,
} from './inspect.js';
export { checkLabels, defaultClassNames } from './labels.js';
export { decompressedLimit, MAX_EXPANSION, MIN_DECOMPRESSED_LIMIT } from './limits.js';
export {
  DATASET_SPECS,
  HOLDOUT_FRACTION,
  HOLDOUT_SEED,
  type LoadDatasetOptions,
  loadDataset,
} from './load-dataset.js';
export { luma, onWhite } from './luma.js';
export { installedVersion } from './package-version.js';
export {
  type CleanedPage,
  type CleanPageOptions,
  cleanPage,
  type PageImage,
  PREPARE_WORKING_SIZE,
} from './page/clean-page.js';
export { type PrepareDigitFileOptions, prepareDigit } from './prepare-digit.js';
export { prepareDigitImage, prepareDigitPixels, rgbaToGray } from './prepare-digit-pixels.js';
export { createRandom, type Random } from './random.js';
export { type ImageFolderOptions, loadImageFolder } from './sources/image-folder.js';
export { loadMnistSample } from './sources/mnist-sample.js';
export {
  DEFAULT_SYSTEM_DIR,
  defaultCacheDir,
  findNamedFile,
  loadNamedDataset,
  type NamedDatasetOptions,
  namedDatasetFolders,
  namedDatasets,
} from './sources/named.js';
export { stratifiedSample, stratifiedSplit, subset } from './split.js';
export { oneHot, pixelStatistics, scaleTable, standardization, toFloat32 } from './tensors.js';
export type * from './types.js';
export { weightsByteLength, weightsManifestProblem } from './weights-manifest.js';

export const version = '0.1.0';
