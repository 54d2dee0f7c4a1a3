// Node entry: the browser entry and what needs Node (files, downloads, named datasets, image decoding).
export * from './browser.js';
export {
  type DataFolder,
  type DatasetAvailability,
  type DatasetsDescription,
  describeDatasets,
} from './describe-datasets.js';
export { type DownloadOptions, type DownloadProgress, downloadFile } from './download.js';
export {
  type FolderContents,
  readDatasetFile,
  removeStaleTemporaries,
  resolveInsideFolder,
  sha256,
  writeFileAtomic,
  writeFolderAtomic,
} from './files.js';
export { type NpzContents, type ParseNpzOptions, parseNpz } from './formats/npz.js';
export {
  type DatasetSummary,
  renderLabelHistogram,
  renderSampleGrid,
  summarizeDataset,
} from './inspect.js';
export { decompressedLimit, MAX_EXPANSION, MIN_DECOMPRESSED_LIMIT } from './limits.js';
export {
  DATASET_SPECS,
  HOLDOUT_FRACTION,
  HOLDOUT_SEED,
  type LoadDatasetOptions,
  loadDataset,
} from './load-dataset.js';
export { installedVersion } from './package-version.js';
export { type PrepareDigitFileOptions, prepareDigit } from './prepare-digit.js';
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
export { weightsByteLength, weightsManifestProblem } from './weights-manifest.js';
