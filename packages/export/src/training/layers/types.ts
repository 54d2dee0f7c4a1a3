import type { GraphBuilder } from '../../graph/graph-builder.js';
import type { Ops } from '../ops.js';

/**
 * A tensor of the tfjs model inside the training graph. `shape` is tfjs's (batch first, `null` unknown).
 * The ONNX tensor is in tfjs's element order except at rank 4, where it is channels-first
 * (`[N, C, H, W]`), the layout onnxruntime's Conv and pooling kernels take. A gradient has its value's
 * shape and layout.
 */
export interface TrainValue {
  name: string;
  shape: (number | null)[];
}

/** One weight of the layer being built, as the graph sees it (tfjs's shape and element order). */
export interface LayerWeightValue {
  /** The graph value holding the weight's current value. */
  name: string;
  shape: number[];
}

/** What a layer's training step gets for one call of the layer. */
export interface LayerTrainingContext {
  readonly graph: GraphBuilder;
  /** Node shorthands, naming nodes after the layer. */
  readonly ops: Ops;
  readonly className: string;
  /** The tfjs layer's name, made safe for ONNX names. */
  readonly layerName: string;
  /** The tfjs layer's config (`layer.getConfig()`). */
  readonly config: Record<string, unknown>;
  readonly inputs: TrainValue[];
  /** The tfjs output shapes of this call. */
  readonly outputShapes: (number | null)[][];
  /** Whether each input needs a gradient (false for the images and what depends on no parameter). */
  readonly inputsNeedGradient: boolean[];
  /** One of the layer's weights by its short name (`kernel`, `bias`, `gamma`, `moving_mean`, …). */
  weight(short: string): LayerWeightValue | undefined;
  /** Adds a contribution to a trainable weight's gradient (tfjs's shape and order). */
  addGradient(short: string, gradient: string): void;
  /** Sets the value a non-trainable weight (a batch-norm moving statistic) takes after this step. */
  setNextValue(short: string, value: string): void;
  /**
   * Whether window ops may be grouped Convs (fastest on onnxruntime's CPU provider); false when the graph
   * is built for onnxruntime-web's WebGPU provider, which computes those wrongly (see `windowsOf`).
   */
  readonly groupedWindows: boolean;
  /** onnxruntime CPU's NCHWc channel block when the graph may use its blocked Conv, else null. */
  readonly nchwcBlockSize: number | null;
  /** The int32 scalar seed input of this step (dropout masks are drawn from it). */
  readonly seed: string;
  /** This call's index among the model's random layers, so that each draws its own stream. */
  readonly randomStream: number;
  /** Adds a debug output (only when `debugOutputs` is on; otherwise nothing happens). */
  debugOutput(role: 'dropout-mask', value: string, shape: (number | string)[]): void;
}

/** The forward nodes of one layer call and how to add its backward nodes. */
export interface LayerStep {
  outputs: TrainValue[];
  /**
   * Adds the backward nodes, given each output's gradient (`undefined` when no gradient reaches it), and
   * returns each input's gradient (`undefined` where `inputsNeedGradient` is false). Parameter gradients
   * go through `context.addGradient`.
   */
  backward(outputGradients: (string | undefined)[]): (string | undefined)[];
}

/** One registry entry: a tfjs layer class, its forward and its gradient (one per file). */
export interface TrainerConfig {
  className: string;
  /**
   * Why this layer's configuration cannot be trained (an unsupported option), or null. `inputShapes` are
   * the tfjs shapes of the first call's inputs.
   */
  check?(config: Record<string, unknown>, inputShapes: (number | null)[][]): string | null;
  forward(context: LayerTrainingContext): LayerStep;
}
