export { ModelFormatError } from '@cnnx/data';
export {
  BACKEND_LADDER,
  currentBackend,
  defaultWasmThreads,
  describeTrainingBackends,
  type InitBackendOptions,
  initBackend,
} from './backend.js';
export * from './baselines/index.js';
export {
  preferredTrainingEngines,
  type ResolvedEngine,
  registerTrainingEngine,
  resolveTrainingEngine,
  trainingEngineNames,
} from './engines/registry.js';
export { tfjsEngine } from './engines/tfjs-engine.js';
export type * from './engines/types.js';
export {
  BackendUnavailableError,
  InputShapeError,
  ModelNotFoundError,
  ModelSpecError,
  NonFiniteLossError,
  NonFiniteOutputError,
} from './errors.js';
export * from './keras/index.js';
export { registerWasmTrainingKernels } from './kernels/index.js';
export * from './metrics/index.js';
export {
  loadModel,
  MANIFEST_FILE,
  MODEL_FILE,
  type ModelManifestInfo,
  readManifest,
  readModelManifest,
  saveModel,
  WEIGHTS_FILE,
} from './model-io.js';
export { buildModel, readModelArgument, readModelSpec } from './models/build.js';
export { ACTIVATIONS, LAYER_TYPES } from './models/layers.js';
export { classicSpec, isPresetName, PRESET_NAMES, presets } from './models/presets.js';
export { formatModelSummary } from './models/summary.js';
export { type OpenedModel, openModel } from './open-model.js';
export { predict } from './predict.js';
export * from './report/index.js';
export * from './run/index.js';
export { registerBatchNormGradient } from './training/batch-norm-gradient.js';
export { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from './training/checkpoint.js';
export { createOptimizer, DEFAULT_LEARNING_RATES, scheduledLearningRate } from './training/optimizers.js';
export {
  engineSettingsOf,
  epochOrder,
  evaluateModel,
  evaluateOnEngine,
  mixSeed,
  type OptimizerState,
  type ResumePoint,
  type TrainModelOptions,
  trainModel,
} from './training/train.js';
export type * from './types.js';

export { version } from './version.js';
