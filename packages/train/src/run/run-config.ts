/**
 * A training run's configuration: everything it was started with, saved in its checkpoint (so `--resume`
 * needs nothing else) and in its manifest. Also the choices a run offers and the preset defaults.
 */
import type { Augmentation } from '@cnnx/data';
import { BACKEND_LADDER } from '../backend.js';
import { isPresetName, presets } from '../models/presets.js';
import { OPTIMIZER_NAMES } from '../training/optimizers.js';
import type {
  LearningRateSchedule,
  LossName,
  ModelSpec,
  OptimizerName,
  TrainingBackendName,
  TrainOptions,
} from '../types.js';
import { augmentationOf } from './augmentation.js';

/** The learning-rate schedules a run names. */
export const SCHEDULE_NAMES = ['constant', 'step', 'cosine', 'plateau'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** The losses a run names. */
export const LOSS_NAMES: readonly LossName[] = [
  'sparse-categorical-crossentropy',
  'categorical-crossentropy',
];

/**
 * The training backends a run may ask for: `auto` takes onnxruntime when it is registered and covers the
 * model, else walks the tfjs ladder (tensorflow → wasm → cpu).
 */
export const BACKEND_CHOICES: readonly (TrainingBackendName | 'auto')[] = [
  'auto',
  'onnxruntime',
  ...BACKEND_LADDER,
];

/** The devices `--device` takes (cuda: onnxruntime's CUDA provider). */
export const DEVICE_CHOICES = ['cpu', 'cuda'] as const;

export { OPTIMIZER_NAMES };

/** Everything a run was started with. */
export interface RunConfig {
  dataset: string;
  /** A preset name, the spec file's path, or the Keras file's path as given. */
  model: string;
  /** The JSON spec when `model` is not a preset. */
  modelSpec: ModelSpec | null;
  /** The Keras file (`.h5` or `.keras`) whose model the run fine-tunes, instead of building one. */
  kerasFile?: string;
  /**
   * How the 0-255 bytes become the model's input (unset: `unit`): `unit`, `none` or `standard:MEAN:STD`.
   * A run on a Keras file records the scale its reader chose (`none` after a leading `Rescaling(1/255)`).
   */
  inputScale?: string;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number | undefined;
  momentum: number | undefined;
  nesterov: boolean;
  schedule: LearningRateSchedule;
  loss: LossName;
  labelSmoothing: number;
  /** Fraction of the training images held out for validation after every epoch (0: none). */
  validationSplit: number;
  earlyStopping: { patience: number; restoreBest: boolean } | null;
  /** The augmentation (checkpoints written before `--augment KINDS` existed hold `true` or `false`). */
  augment: Augmentation | boolean;
  /** Train on a stratified sample of about this many images (null: all). */
  limit: number | null;
  seed: number;
  /**
   * The images the run keeps for testing (unset: `none`). `none`: only the dataset's training images (cnnx
   * train; `cnnx evaluate` scores the test split later). `split`: the dataset's test split too, limited in
   * proportion to `limit` (cnnx compare). `holdout`: the whole set limited first, then a seeded stratified 15%
   * held out (cnnx quickstart).
   */
  test?: 'none' | 'split' | 'holdout';
  /** Validate on the test images after every epoch instead of a split of the training images. */
  validateOnTest?: boolean;
}

/** What a caller asks of a run; unset fields take the preset's measured settings, then the defaults. */
export interface RunSettings {
  dataset: string;
  model: string;
  modelSpec?: ModelSpec | null;
  /** Fine-tune the model in this Keras file (`model` is then how the run names it). */
  kerasFile?: string;
  /** `unit` (default), `none` or `standard:MEAN:STD`; for a Keras file, unset lets the reader choose. */
  inputScale?: string;
  epochs?: number;
  batchSize?: number;
  optimizer?: OptimizerName;
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
  schedule?: ScheduleName;
  loss?: LossName;
  labelSmoothing?: number;
  validationSplit?: number;
  /** Early stopping after this many epochs without improvement (restoring the best weights). */
  patience?: number;
  augment?: Augmentation | boolean;
  limit?: number;
  seed?: number;
  test?: RunConfig['test'];
  validateOnTest?: boolean;
}

/**
 * The schedule a name stands for: `step` halves the rate every 2 epochs, `cosine` decays it toward 0,
 * `plateau` halves it when the validation loss stalls for an epoch.
 *
 * @example
 * scheduleOf('step'); // → { type: 'step', everyEpochs: 2, factor: 0.5 }
 */
export function scheduleOf(name: ScheduleName): LearningRateSchedule {
  switch (name) {
    case 'step':
      return { type: 'step', everyEpochs: 2, factor: 0.5 };
    case 'cosine':
      return { type: 'cosine' };
    case 'plateau':
      return { type: 'plateau', factor: 0.5, patience: 1 };
    default:
      return { type: 'constant' };
  }
}

/**
 * A run's configuration from what was asked: a preset brings the settings it was measured with (epochs, and
 * with Adam its learning rate; schedule; augmentation) unless `presetDefaults` is false, then the plain
 * defaults (5 epochs, batch 64, Adam, constant rate, 10% validation, seed 42) fill the rest.
 *
 * @example
 * runConfig({ dataset: 'mnist-sample', model: 'best' });
 * // → { epochs: 10, learningRate: 0.002, schedule: { type: 'cosine' }, augment: true, batchSize: 64, … }
 */
export function runConfig(settings: RunSettings, { presetDefaults = true } = {}): RunConfig {
  const preset = presetDefaults && isPresetName(settings.model) ? presets[settings.model] : undefined;
  const optimizer = settings.optimizer ?? 'adam';
  const config: RunConfig = {
    dataset: settings.dataset,
    model: settings.model,
    modelSpec: settings.modelSpec ?? null,
    epochs: settings.epochs ?? preset?.training?.epochs ?? 5,
    batchSize: settings.batchSize ?? 64,
    optimizer,
    // The preset's rate was measured with Adam; other optimizers keep their own defaults.
    learningRate:
      settings.learningRate ?? (optimizer === 'adam' ? preset?.training?.learningRate : undefined),
    momentum: settings.momentum,
    nesterov: Boolean(settings.nesterov),
    schedule: scheduleOf(settings.schedule ?? preset?.training?.schedule ?? 'constant'),
    loss: settings.loss ?? 'sparse-categorical-crossentropy',
    labelSmoothing: settings.labelSmoothing ?? 0,
    validationSplit: settings.validationSplit ?? 0.1,
    earlyStopping: settings.patience ? { patience: settings.patience, restoreBest: true } : null,
    augment: settings.augment ?? preset?.augment ?? false,
    limit: settings.limit ?? null,
    seed: settings.seed ?? 42,
  };
  if (settings.kerasFile !== undefined) config.kerasFile = settings.kerasFile;
  if (settings.inputScale !== undefined) config.inputScale = settings.inputScale;
  if (settings.test !== undefined) config.test = settings.test;
  if (settings.validateOnTest !== undefined) config.validateOnTest = settings.validateOnTest;
  return config;
}

/**
 * Reads the configuration a checkpoint saved (any cnnx version's: `augment` may be `true` or `false`), or
 * throws a RangeError saying what is missing.
 *
 * @example
 * const { config } = await loadCheckpoint('runs/a/checkpoint');
 * readRunConfig(config); // → { dataset: 'mnist-sample', model: 'classic', epochs: 5, … }
 */
export function readRunConfig(saved: unknown): RunConfig {
  const config = saved as Partial<RunConfig> | null;
  const missing = ['dataset', 'model', 'epochs', 'batchSize', 'seed'].filter(
    (key) => config?.[key as keyof RunConfig] === undefined,
  );
  if (typeof config !== 'object' || config === null || missing.length > 0) {
    throw new RangeError(`the checkpoint's run configuration lacks ${missing.join(', ') || 'everything'}`);
  }
  const defaults = runConfig(
    { dataset: config.dataset as string, model: config.model as string },
    { presetDefaults: false },
  );
  return { ...defaults, ...config };
}

/**
 * The training loop's options for a run's configuration.
 *
 * @example
 * await trainModel(model, data, { ...trainOptionsOf(config), onEpochEnd });
 */
export function trainOptionsOf(config: RunConfig): TrainOptions {
  return {
    epochs: config.epochs,
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    learningRate: config.learningRate,
    momentum: config.momentum,
    nesterov: config.nesterov,
    schedule: config.schedule,
    loss: config.loss,
    labelSmoothing: config.labelSmoothing,
    seed: config.seed,
    earlyStopping: config.earlyStopping ?? undefined,
    augment: augmentationOf(config.augment),
    ...(config.inputScale === undefined ? {} : { inputScale: config.inputScale }),
  };
}
