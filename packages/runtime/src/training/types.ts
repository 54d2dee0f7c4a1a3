/** The public types of the training session, shared by the node and browser entries. */
import type { TrainingGraph } from '@cnnx/export';

/** The parts of `@cnnx/export`'s `TrainingGraph` a session reads (the bytes and the description). */
export type TrainingStepGraph = Pick<
  TrainingGraph,
  'bytes' | 'inputs' | 'outputs' | 'state' | 'names' | 'imageShape' | 'classes' | 'loss' | 'webgpu' | 'loop'
>;

/** Options of `TrainingSession.open`. */
export interface TrainingSessionOptions {
  /** Node: `cpu` (default) or `cuda`; browser: `wasm` (default) or `webgpu`. */
  device?: 'cpu' | 'cuda' | 'wasm' | 'webgpu';
  /** Intra-op threads (onnxruntime's `intraOpNumThreads`); 0 or unset lets onnxruntime choose. */
  threads?: number;
  /** Graph optimisation level (default `all`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Node's CPU provider: whether idle intra-op threads spin-wait for work (onnxruntime's own default) or
   * sleep. Neither is faster everywhere: spinning made `classic`'s 2-thread step 6-12% faster on an idle
   * Intel VM, and slower on an AMD one and on a busy machine (539 images/s spinning, 877 not). `'auto'`
   * (the default, except when profiling) times both on the session's own steps, at the start and every
   * 512 steps, and runs the faster (`wait-trials.ts`); `info.spinWait` tells which. `true` and `false` fix
   * the choice.
   */
  spinWait?: boolean | 'auto';
  /** Node: write onnxruntime's per-operator profile to `<prefix>_<date>.json` (see `endProfiling`). */
  profileFilePrefix?: string;
}

/** One batch: images in the model's own layout (NHWC for tfjs) and their labels. */
export interface TrainingBatch {
  images: Float32Array;
  /** Class indices (sparse cross-entropy), or `count × classes` targets (categorical). */
  labels: Int32Array | Float32Array;
  count: number;
}

/** What one step needs besides the batch. */
export interface TrainingStepOptions {
  learningRate: number;
  /** The seed of this step's dropout masks (int32); default: the step number. */
  seed?: number;
}

/** What one step gives back. */
export interface TrainingStepResult {
  /** Mean loss over the batch, as `@cnnx/train`'s loop computes it. */
  loss: number;
  /** How many of the batch's images the model classified right (before this step's update). */
  correct: number;
}

/** Where a session runs. */
export interface TrainingSessionInfo {
  device: string;
  provider: string;
  /** Intra-op threads asked for; null when onnxruntime chose. */
  threads: number | null;
  /** Whether the session's idle threads spin now: as asked, or the last trial's verdict with `spinWait: 'auto'`. */
  spinWait: boolean;
  /**
   * With `spinWait: 'auto'`: trials finished, and the last one's median step on each kind of session (ms);
   * null without trials.
   */
  waitTrials: { trials: number; sleepingMs: number | null; spinningMs: number | null } | null;
}
