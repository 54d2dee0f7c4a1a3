export { detectKerasFile, detectKerasFormat, type KerasFileFormat } from './detect-file.js';
export { KerasFormatError, UnsupportedLayerError } from './errors.js';
export { SUPPORTED_KERAS_LAYERS } from './layers.js';
export { MAX_KERAS_FILE_BYTES, readKerasModel, readKerasModelFromBytes } from './read-keras-model.js';
export { formatKerasSummary } from './summary.js';
export type { KerasLayerSummary, KerasModel, ReadKerasModelOptions } from './types.js';
