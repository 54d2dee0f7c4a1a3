/** What a training engine is: the contract `@cnnx/train`'s loop drives, whoever computes the steps. */
import type * as tf from '@tensorflow/tfjs';
import type { LossName, OptimizerName } from '../types.js';

/** A tfjs optimizer's weights, as `getWeights()` gives and `setWeights()` takes them (`iter` first). */
export type NamedWeights = { name: string; tensor: tf.Tensor }[];

/** How each step learns, resolved from the run's options (the learning rate is given at every step). */
export interface EngineSettings {
  optimizer: OptimizerName;
  /** SGD and RMSProp momentum, as the tfjs optimizer gets it (0: none). */
  momentum: number;
  nesterov: boolean;
  loss: LossName;
  labelSmoothing: number;
}

/** Where and how an engine runs. */
export interface EngineOptions {
  /** `cpu` (default) or `cuda`; engines that have no such choice refuse `cuda`. */
  device?: 'cpu' | 'cuda';
  /** Threads the engine computes on (default: one per core, at most 8). */
  threads?: number;
  /** A checkpoint's optimizer weights (tfjs's names and order, `iter` first): training continues from them. */
  optimizerWeights?: NamedWeights;
}

/** One batch as the loop builds it: scaled (and maybe augmented) images in the model's layout, class indices. */
export interface EngineBatch {
  /** `count × height × width × channels` floats, NHWC. */
  images: Float32Array;
  /** `count` class indices. */
  labels: Int32Array;
  count: number;
}

/** Where an open stepper runs, for the start line, run.json and metrics.json. */
export interface EngineInfo {
  engine: string;
  device: string;
  threads: number | null;
}

/** An engine opened on one model: runs batches, and gives weights and optimizer state back. */
export interface TrainingStepper {
  readonly info: EngineInfo;
  /** One step at `learningRate`; `seed` draws this step's dropout masks. Loss and hits are before the update. */
  step(
    batch: EngineBatch,
    options: { learningRate: number; seed: number },
  ): Promise<{ loss: number; correct: number }>;
  /**
   * Optional: one step per batch, in order, in one call, at `learningRate`, `seeds[i]` drawing batch `i`'s
   * dropout masks; the same results as calling `step` for each. The loop hands `stepsPerCall` batches at a
   * time to an engine that has it (onnxruntime runs them in one session run).
   */
  steps?(
    batches: readonly EngineBatch[],
    options: { learningRate: number; seeds: readonly number[] },
  ): Promise<{ loss: number; correct: number }[]>;
  /** With `steps`: how many batches the loop gives it at a time (at most; an epoch's last call may get fewer). */
  readonly stepsPerCall?: number;
  /**
   * Optional: the model's output (class probabilities, `count × classes` floats) for each of `batches`, with the
   * current weights in inference mode (dropout off, batch norm on its moving statistics), no weights changed.
   * The loop validates through it (`evaluateOnEngine` turns it into the loss and accuracy `evaluateModel` gives)
   * when an engine has it, and through tfjs's `evaluateModel` otherwise.
   */
  predict?(batches: readonly EngineBatch[]): Promise<Float32Array[]>;
  /** Writes the trained weights (and batch-norm statistics) into the tfjs model the stepper was opened on. */
  syncWeights(): Promise<void>;
  /** The optimizer's state in tfjs's names and order (`iter`, then the slots): what a checkpoint holds. */
  getWeights(): Promise<NamedWeights>;
  /** Frees what the engine holds (an onnxruntime session, a tfjs optimizer). */
  close(): Promise<void>;
}

/** What an engine cannot train: the layer (or `Model`) that stops it, and why. */
export interface EngineRefusal {
  layer: string;
  className: string;
  reason: string;
  /** The layer classes the engine trains. */
  supported: readonly string[];
}

/**
 * A training engine: the tfjs backends (tensorflow, wasm, cpu) are engines, and `@cnnx/runtime/training`
 * registers `onnxruntime`. The loop, batching, augmentation, validation, callbacks, early stopping and
 * checkpoints stay in `@cnnx/train`; an engine runs steps.
 */
export interface TrainingEngine {
  readonly name: string;
  /** Whether `auto` tries it before the tfjs backends (true for onnxruntime). */
  readonly preferred: boolean;
  /** Null when the engine can train `model` with `settings`, else what stops it. */
  covers(model: tf.LayersModel, settings: EngineSettings): EngineRefusal | null;
  open(model: tf.LayersModel, settings: EngineSettings, options: EngineOptions): Promise<TrainingStepper>;
  /** What `cnnx doctor` says about it (`describeTrainingBackends`): what runs, or why it cannot. */
  describe?(): Promise<{ available: boolean; detail?: string; reason?: string }>;
}
