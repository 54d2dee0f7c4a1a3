/** The public types of the training-graph builder. */

/** The losses the training step computes, as `@cnnx/train`'s loop names them. */
export type TrainingLoss = 'sparse-categorical-crossentropy' | 'categorical-crossentropy';

/** tfjs's Adam (`tf.train.adam`): epsilon defaults to the cpu/wasm backends' 1e-7. */
export interface AdamSettings {
  name: 'adam';
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** tfjs's SGD (`tf.train.sgd`), or with `momentum` > 0 its MomentumOptimizer (Nesterov when asked). */
export interface SgdSettings {
  name: 'sgd';
  momentum?: number;
  nesterov?: boolean;
}

/** tfjs's RMSProp (`tf.train.rmsprop`, not centered): decay 0.9, epsilon 1e-7 as `@cnnx/train` makes it. */
export interface RmspropSettings {
  name: 'rmsprop';
  decay?: number;
  momentum?: number;
  epsilon?: number;
}

/** An optimizer and its hyper-parameters (the learning rate is fed at every step). */
export type OptimizerSettings = AdamSettings | SgdSettings | RmspropSettings;

/** What one training step computes besides the model. */
export interface TrainingSettings {
  /** Default `sparse-categorical-crossentropy` (labels are class indices, int32). */
  loss?: TrainingLoss;
  /** Keras's label smoothing: targets become `t·(1 − s) + s / classes`. Default 0. */
  labelSmoothing?: number;
  /** Default Adam with tfjs's defaults. A bare name takes that optimizer's defaults. */
  optimizer?: OptimizerSettings | OptimizerSettings['name'];
  /** ONNX opset; only 17 is written (what onnxruntime-web and ONNX 1.12's checker both take). */
  opset?: 17;
  /**
   * Write a graph that onnxruntime-web's WebGPU provider computes right: it gets grouped Convs with one
   * input channel per group wrong (onnxruntime-web 1.30; test/training-browser.test.ts), so the im2col of
   * every Conv2D becomes a single-group Conv over the channels moved into the batch: the same numbers,
   * about 3% slower for `classic` on onnxruntime's CPU provider. Default false.
   */
  webgpu?: boolean;
  /**
   * onnxruntime's CPU provider only: the channel block of its blocked convolution layout (NCHWc), 8 with AVX2
   * and 16 with AVX-512 (`@cnnx/runtime` measures it: `nchwcBlockSize()`). The forward of a Conv2D whose
   * channel counts are multiples of it, and its input gradient at stride 1, then run as onnxruntime's NCHWc
   * Conv (`com.microsoft.nchwc`), the kernel reordered in the graph: about twice as fast as a Conv whose
   * weights are a graph input. Other providers have no such operator; default none.
   */
  nchwcBlockSize?: number;
  /**
   * For tests and debugging: also output every parameter's gradient (`<weight>:gradient`) and every
   * dropout layer's multiplier (`<layer>:dropout_mask`, in tfjs's element order).
   */
  debugOutputs?: boolean;
}

/** What a graph input or output carries. */
export type TrainingTensorRole =
  | 'images'
  | 'labels'
  | 'learning-rate'
  | 'step'
  | 'seed'
  | 'parameter'
  | 'slot'
  | 'statistic'
  | 'loss'
  | 'correct'
  | 'gradient'
  | 'dropout-mask';

/** One input or output of the training graph. */
export interface TrainingTensor {
  /** The ONNX name. */
  name: string;
  role: TrainingTensorRole;
  type: 'float32' | 'int32';
  /** Dimensions; `batch` is symbolic. Parameters, slots and statistics have tfjs's shapes and element order. */
  shape: (number | string)[];
  /** For parameters, slots, statistics and gradients: the tfjs weight (`LayerVariable.name`) it belongs to. */
  weight?: string;
  /** For slots: tfjs's suffix (`m`, `v`, `momentum`, `rms`); the slot's tfjs name is `${weight}/${slot}`. */
  slot?: string;
  /** For dropout masks: the tfjs layer's name. */
  layer?: string;
}

/**
 * One tensor carried from step to step: fed as `input`, its next value comes out as `output` (a parameter,
 * an optimizer slot or a batch-norm moving statistic). `name` is its tfjs name: the weight's name, or for a
 * slot the name tfjs's optimizer gives it in `getWeights()` (`conv2d/kernel/m`).
 */
export interface TrainingStateTensor {
  kind: 'parameter' | 'slot' | 'statistic';
  name: string;
  weight: string;
  slot?: string;
  shape: number[];
  input: string;
  output: string;
}

/** The ONNX bytes of one training step and what an engine needs to drive it without guessing. */
export interface TrainingGraph {
  bytes: Uint8Array;
  opset: number;
  inputs: TrainingTensor[];
  outputs: TrainingTensor[];
  /**
   * Everything carried between steps, in tfjs's orders: parameters as `model.trainableWeights`, then the
   * optimizer's slots as its `getWeights()` lists them (after `iter`), then batch-norm statistics.
   */
  state: TrainingStateTensor[];
  /** The optimizer with every hyper-parameter resolved, and its slot suffixes in `getWeights()` order. */
  optimizer: Required<AdamSettings> | Required<SgdSettings> | Required<RmspropSettings>;
  slots: string[];
  loss: TrainingLoss;
  labelSmoothing: number;
  classes: number;
  /** The model's input shape without the batch (tfjs order: height, width, channels). */
  imageShape: number[];
  /** Whether it was built for onnxruntime-web's WebGPU provider (`TrainingSettings.webgpu`). */
  webgpu: boolean;
  /** The NCHWc block its convolutions use (`TrainingSettings.nchwcBlockSize`), or null. */
  nchwcBlockSize: number | null;
  /**
   * Whether a run takes several steps (`loopTrainingGraph`): `images`, `labels`, `learning_rate` and `seed`
   * then have one entry per step along a first dimension, and `loss` and `correct` give one per step.
   */
  loop: boolean;
  /** The names of the fixed inputs and outputs. */
  names: {
    images: string;
    labels: string;
    learningRate: string;
    step: string;
    seed: string;
    loss: string;
    correct: string;
  };
}

/** Whether a model can be trained by the graph builder, and if not the first layer that stops it. */
export type Trainability =
  | { trainable: true }
  | { trainable: false; layer: string; className: string; reason: string };
