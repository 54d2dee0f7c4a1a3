export { BACKEND_LADDER, currentBackend, initBackend } from './backend.js';
export {
  BackendUnavailableError,
  InputShapeError,
  ModelNotFoundError,
  ModelSpecError,
  NonFiniteLossError,
} from './errors.js';
export * from './metrics/index.js';
export { buildModel, readModelSpec } from './models/build.js';
export { ACTIVATIONS, LAYER_TYPES } from './models/layers.js';
export { isPresetName, PRESET_NAMES, presets } from './models/presets.js';
export { formatModelSummary } from './models/summary.js';
export type * from './types.js';

export const version = '0.1.0';
