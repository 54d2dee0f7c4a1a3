import type { Augmentation } from '@cnnx/data';

/**
 * The part of `@cnnx/data`'s `Dataset` that training reads (any `Dataset` fits): images n × h × w × c,
 * row-major, 0-255, and n class indices.
 */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  shape: [height: number, width: number, channels: number] | readonly number[];
  count: number;
  classNames: readonly string[];
}

/** The training backends cnnx knows, tried in this order by `initBackend('auto')`. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Whether one training backend starts here (see `describeTrainingBackends`). */
export interface TrainingBackendStatus {
  /** The training engine it belongs to: `tfjs` (TensorFlow.js) today. */
  engine: string;
  /** The name `initBackend` and `cnnx train --backend` take. */
  name: string;
  available: boolean;
  /** Why it does not start, in one line (absent when available). */
  reason?: string;
  /** What runs, when available (threads, SIMD, the TensorFlow version…). */
  detail?: string;
}

/** The training backends of this installation and the one `initBackend('auto')` picks. */
export interface TrainingBackendsDescription {
  /** In the order `auto` tries them. */
  backends: TrainingBackendStatus[];
  /** The first available one, or null when none starts. */
  auto: string | null;
  /** The installed versions of tfjs and its backend packages (null: not installed). */
  versions: Record<string, string | null>;
}

/**
 * The backends `--backend` takes besides `auto`: the tfjs ladder's and `onnxruntime` (the training engine that
 * `@cnnx/runtime/training` registers).
 */
export type TrainingBackendName = BackendName | 'onnxruntime';

/** What `initBackend` (or a run's engine choice) chose, and why it passed over the ones before it. */
export interface BackendInfo {
  /** A tfjs backend, or another training engine's name (`onnxruntime`). */
  name: string;
  skipped: { name: string; reason: string }[];
  /** Threads it computes on: XNNPACK's for wasm, intra-op threads for onnxruntime. */
  threads?: number;
  /** Where it computes: `cpu` or `cuda` (onnxruntime). */
  device?: string;
}

/** The names of the built-in models. */
export type PresetName = 'classic' | 'basic' | 'dropout' | 'tiny' | 'best';

/** A built-in model: what it is, where it comes from, and what Keras counts for it on 28×28×1 → 10. */
export interface PresetInfo {
  name: PresetName;
  description: string;
  /** Trainable + non-trainable parameters for a 28×28×1 input and 10 classes, as Keras prints them. */
  parameters: number;
  /** Whether training this preset turns augmentation on by default. */
  augment: boolean;
  /** Training settings measured to suit this preset, used where a command's flags do not say otherwise. */
  training?: {
    epochs?: number;
    learningRate?: number;
    schedule?: 'constant' | 'step' | 'cosine' | 'plateau';
  };
  spec: ModelSpec;
}

/** One layer of a model spec: `type` plus its options (validated by `buildModel`). */
export interface LayerSpec {
  type: string;
  /** Functional graphs only: this layer's name, which later layers use in their `inputs`. */
  name?: string;
  /** Functional graphs only: the names of the layers (or model inputs) feeding this one. */
  inputs?: string[];
  [option: string]: unknown;
}

/**
 * A model as JSON. Sequential: just `layers`, each feeding the next. Functional: `inputs` names the
 * model's inputs, each layer names its `inputs`, and `outputs` names the output layer(s).
 */
export interface ModelSpec {
  name?: string;
  /** When given, must equal the dataset's `[height, width, channels]`. */
  inputShape?: number[];
  inputs?: string[];
  layers: LayerSpec[];
  outputs?: string[];
}

/** Options for `buildModel`. */
export interface BuildModelOptions {
  inputShape: [height: number, width: number, channels: number];
  numClasses: number;
  /** Seed of the weight initialisers and dropout masks (default 42). */
  seed?: number;
}

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';
export type LossName = 'sparse-categorical-crossentropy' | 'categorical-crossentropy';

/** A learning-rate schedule. `step` and `cosine` depend only on the epoch; `plateau` on validation loss. */
export type LearningRateSchedule =
  | { type: 'constant' }
  | { type: 'step'; everyEpochs: number; factor: number }
  | { type: 'cosine'; minLearningRate?: number }
  | { type: 'plateau'; factor: number; patience: number; minLearningRate?: number };

/** Early stopping on the monitored loss (validation loss when there is validation data). */
export interface EarlyStoppingOptions {
  patience: number;
  minDelta?: number;
  restoreBest?: boolean;
}

/** Everything that decides how a model trains. All fields have defaults. */
export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  optimizer?: OptimizerName;
  learningRate?: number;
  /** SGD and RMSProp momentum (default 0.9 for sgd, 0 for rmsprop). */
  momentum?: number;
  nesterov?: boolean;
  schedule?: LearningRateSchedule;
  loss?: LossName;
  labelSmoothing?: number;
  /** Seed of the per-epoch shuffling and dropout masks (default 42). */
  seed?: number;
  shuffle?: boolean;
  earlyStopping?: EarlyStoppingOptions;
  /** Random shifts, rotations and zoom of the training images (drawn from the seed, step by step). */
  augment?: Augmentation;
  /**
   * How the 0-255 bytes become the model's input: `unit` (÷255, the default), `none` (as they are) or
   * `standard:MEAN:STD` (on the ÷255 values). A Keras model trained on raw pixels fine-tunes with `none`.
   */
  inputScale?: string;
}

/** One epoch's figures. `val*` are absent when there is no validation data. */
export interface EpochLogs {
  epoch: number;
  /** The number of epochs the run will train. */
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate: number;
  imagesPerSecond: number;
  seconds: number;
}

/** Progress of one batch, for progress bars. */
export interface BatchLogs {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

/** Where a run stands, everything needed to continue it exactly (see `TrainCallbacks.checkpoint`). */
export interface TrainState {
  /** Epochs fully done. */
  epochsDone: number;
  /** Batches already done in epoch `epochsDone + 1` (non-zero only for an interrupted epoch). */
  batchesDone: number;
  /** Running sums of the interrupted epoch. */
  partial: { lossSum: number; correct: number; seen: number; seconds: number };
  history: EpochLogs[];
  learningRate: number;
  plateau: { best: number; wait: number };
  early: { best: number; bestEpoch: number; wait: number };
}

/** Hooks called while training. Any may be async; training waits for them. */
export interface TrainCallbacks {
  onBatchEnd?: (logs: BatchLogs) => void | Promise<void>;
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>;
  /** Called after every epoch (and on interruption) with the state to write as a checkpoint. */
  onCheckpoint?: (state: TrainState) => void | Promise<void>;
  /** Checked after every batch: when it returns true, training stops and `onCheckpoint` is called. */
  shouldStop?: () => boolean;
}

/** The data `trainModel` trains on. */
export interface TrainData {
  train: ImageSet;
  validation?: ImageSet;
}

/** What `trainModel` returns. */
export interface TrainResult {
  history: EpochLogs[];
  /** Why training ended. */
  stopReason: 'completed' | 'early-stopping' | 'interrupted';
  /** The epoch whose weights the model holds (differs from the last with restore-best). */
  bestEpoch: number | null;
  seconds: number;
  state: TrainState;
}
