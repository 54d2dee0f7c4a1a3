export {
  AUGMENTATION_LIMITS,
  augmentationOf,
  DEFAULT_AUGMENTATION,
  describeAugmentation,
  parseAugmentation,
} from './augmentation.js';
export {
  BACKEND_CHOICES,
  DEVICE_CHOICES,
  LOSS_NAMES,
  OPTIMIZER_NAMES,
  type RunConfig,
  type RunSettings,
  readRunConfig,
  runConfig,
  SCHEDULE_NAMES,
  type ScheduleName,
  scheduleOf,
  trainOptionsOf,
} from './run-config.js';
export { limitImages, loadRunData, type RunData } from './run-data.js';
export { type RunManifest, runManifest, runVersions } from './run-manifest.js';
export {
  type Checkpoint,
  describeRun,
  loadRunCheckpoint,
  type RunCallbacks,
  type RunOptions,
  type RunResult,
  saveRun,
  trainRun,
} from './train-run.js';
