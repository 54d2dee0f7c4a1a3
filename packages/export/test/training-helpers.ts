/**
 * Test helpers for the training graph: run one step in onnxruntime-node, and the same step in tfjs's cpu
 * backend the way `@cnnx/train`'s loop takes it (`optimizer.minimize` over `model.trainableWeights` of the
 * loop's cross-entropy), then compare.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { readTrainingState, type TrainingGraph, type TrainingStateValues } from '../src/index.js';

export interface Batch {
  /** NHWC (the model's own layout), as many images as `labels`. */
  images: Float32Array;
  /** Class indices (sparse), or `[batch, classes]` targets (categorical). */
  labels: Int32Array | Float32Array;
  count: number;
}

export interface StepResult {
  loss: number;
  correct: number;
  /** Gradients by tfjs weight name (debug outputs of the graph, or tfjs's). */
  gradients: Map<string, Float32Array>;
  /** Every carried value after the step, by state name (parameters, slots, statistics). */
  state: TrainingStateValues;
  /** Dropout multipliers by layer name, in tfjs's order (graph only). */
  masks: Map<string, Float32Array>;
}

/** Runs one step of `graph` in onnxruntime-node from `state` (defaults to the model's weights, zero slots). */
export async function runGraphStep(
  graph: TrainingGraph,
  state: TrainingStateValues,
  batch: Batch,
  options: { learningRate?: number; step?: number; seed?: number } = {},
): Promise<StepResult> {
  const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
  try {
    const feeds: Record<string, ort.Tensor> = {
      images: new ort.Tensor('float32', batch.images, [batch.count, ...graph.imageShape]),
      labels:
        batch.labels instanceof Int32Array
          ? new ort.Tensor('int32', batch.labels, [batch.count])
          : new ort.Tensor('float32', batch.labels, [batch.count, graph.classes]),
      learning_rate: new ort.Tensor('float32', Float32Array.of(options.learningRate ?? 1), []),
      step: new ort.Tensor('float32', Float32Array.of(options.step ?? 0), []),
      seed: new ort.Tensor('int32', Int32Array.of(options.seed ?? 1), []),
    };
    for (const tensor of graph.state)
      feeds[tensor.input] = new ort.Tensor('float32', state.get(tensor.name)!, tensor.shape);
    const results = await session.run(feeds);
    const read = (name: string) => results[name]!.data as Float32Array;
    const gradients = new Map<string, Float32Array>();
    const masks = new Map<string, Float32Array>();
    for (const output of graph.outputs) {
      if (output.role === 'gradient') gradients.set(output.weight!, read(output.name));
      if (output.role === 'dropout-mask') masks.set(output.layer!, read(output.name));
    }
    const next: TrainingStateValues = new Map(
      graph.state.map((tensor) => [tensor.name, read(tensor.output)]),
    );
    return {
      loss: read(graph.names.loss)[0]!,
      correct: read(graph.names.correct)[0]!,
      gradients,
      state: next,
      masks,
    };
  } finally {
    await session.release();
  }
}

/** `@cnnx/train`'s cross-entropy (train.ts), on given targets. */
function crossEntropy(probabilities: tf.Tensor, targets: tf.Tensor, count: number): tf.Scalar {
  const logs = tf.log(tf.add(probabilities, 1e-7));
  return tf.neg(tf.sum(tf.mul(targets, logs))).div(count) as tf.Scalar;
}

/**
 * One step of `model` in tfjs (cpu backend) with `optimizer`, as `@cnnx/train`'s loop runs it. `masks`
 * replaces each named dropout layer's random mask by the given multiplier (tfjs order), so the step can be
 * compared with the graph's. Returns the loss, the gradients, and every weight and optimizer slot after it.
 */
export function tfjsStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  batch: Batch,
  options: { labelSmoothing?: number; masks?: Map<string, Float32Array> } = {},
): Promise<StepResult> {
  const classes = model.outputs[0]!.shape[1] as number;
  const restore: (() => void)[] = [];
  for (const [layerName, mask] of options.masks ?? []) {
    const layer = model.getLayer(layerName) as unknown as {
      call: (inputs: tf.Tensor | tf.Tensor[]) => tf.Tensor;
    };
    const original = layer.call;
    layer.call = (inputs) => {
      const input = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.mul(input, tf.tensor(mask, input.shape));
    };
    restore.push(() => {
      layer.call = original;
    });
  }
  try {
    const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    let correct = 0;
    const { value, grads } = optimizer.computeGradients(() => {
      const images = tf.tensor(batch.images, [batch.count, ...(model.inputs[0]!.shape.slice(1) as number[])]);
      const probabilities = model.apply(images, { training: true }) as tf.Tensor;
      let targets: tf.Tensor;
      let labelIndices: tf.Tensor;
      if (batch.labels instanceof Int32Array) {
        labelIndices = tf.tensor1d(batch.labels, 'int32');
        targets = tf.oneHot(labelIndices as tf.Tensor1D, classes).toFloat();
      } else {
        targets = tf.tensor2d(batch.labels, [batch.count, classes]);
        labelIndices = targets.argMax(-1);
      }
      const smoothing = options.labelSmoothing ?? 0;
      if (smoothing > 0) targets = targets.mul(1 - smoothing).add(smoothing / classes);
      correct = probabilities.argMax(-1).equal(labelIndices).sum().dataSync()[0]!;
      return crossEntropy(probabilities, targets, batch.count);
    }, variables);
    const gradients = new Map(
      variables.map((variable) => [variable.name, Float32Array.from(grads[variable.name]!.dataSync())]),
    );
    optimizer.applyGradients(
      variables.map((variable) => ({ name: variable.name, tensor: grads[variable.name]! })),
    );
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return (async () => {
      const state: TrainingStateValues = new Map();
      for (const weight of model.weights)
        state.set(weight.name, Float32Array.from(weight.read().dataSync() as Float32Array));
      for (const weight of await optimizer.getWeights()) {
        if (weight.name !== 'iter')
          state.set(weight.name, Float32Array.from(weight.tensor.dataSync() as Float32Array));
      }
      return { loss, correct, gradients, state, masks: new Map() };
    })();
  } finally {
    for (const undo of restore) undo();
  }
}

/** max |a − b| / max |b|: the error relative to the tensor's scale (1e-5 is the bar). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'lengths differ');
  let worst = 0;
  let scale = 0;
  for (let index = 0; index < expected.length; index++) {
    worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
    scale = Math.max(scale, Math.abs(expected[index]!));
  }
  if (Number.isNaN(worst)) return Number.POSITIVE_INFINITY;
  return scale === 0 ? worst : worst / scale;
}

/**
 * Asserts that a graph step and a tfjs step agree: loss, correct count, every gradient and every carried
 * value (parameters, optimizer slots, statistics), each to `tolerance` relative to its scale.
 */
export function assertStepsAgree(
  graph: TrainingGraph,
  actual: StepResult,
  expected: StepResult,
  tolerance = 1e-5,
  what = '',
): void {
  const prefix = what ? `${what}: ` : '';
  assert.ok(
    Math.abs(actual.loss - expected.loss) <= tolerance * Math.abs(expected.loss),
    `${prefix}loss ${actual.loss} vs tfjs ${expected.loss}`,
  );
  assert.equal(actual.correct, expected.correct, `${prefix}correct predictions`);
  for (const [weight, gradient] of expected.gradients) {
    const ours = actual.gradients.get(weight);
    if (ours === undefined) continue;
    const error = relativeError(ours, gradient);
    assert.ok(error <= tolerance, `${prefix}gradient of ${weight}: relative error ${error.toExponential(2)}`);
  }
  for (const tensor of graph.state) {
    const error = relativeError(actual.state.get(tensor.name)!, expected.state.get(tensor.name)!);
    assert.ok(
      error <= tolerance,
      `${prefix}${tensor.kind} ${tensor.name} after the step: relative error ${error.toExponential(2)}`,
    );
  }
}

/** The model's state before a step (what the graph is fed): weights, zero slots. */
export function initialState(model: tf.LayersModel, graph: TrainingGraph): TrainingStateValues {
  return readTrainingState(model, graph);
}
