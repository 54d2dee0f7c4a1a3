import * as tf from '@tensorflow/tfjs';
import type { TrainingGraph, TrainingStateTensor } from './types.js';

/** The values carried between training steps, by their tfjs names (a `TrainingStateTensor.name`). */
export type TrainingStateValues = Map<string, Float32Array>;

/** tfjs's optimizer weights, as `optimizer.getWeights()` returns and `setWeights()` takes them. */
export type OptimizerWeights = { name: string; tensor: tf.Tensor }[];

function size(shape: number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/**
 * The values a training session starts from: every parameter and batch-norm statistic read from `model`,
 * and every optimizer slot zero (as a fresh tfjs optimizer starts). Pass {@link stateFromOptimizerWeights}'
 * slots to resume instead.
 *
 * @example
 * const state = readTrainingState(model, step);
 * state.get('conv2d_Conv2D1/kernel'); // Float32Array(288), the model's kernel in tfjs's HWIO order
 */
export function readTrainingState(model: tf.LayersModel, graph: TrainingGraph): TrainingStateValues {
  const byName = new Map(model.weights.map((variable) => [variable.name, variable]));
  const state: TrainingStateValues = new Map();
  for (const tensor of graph.state) {
    if (tensor.kind === 'slot') {
      state.set(tensor.name, new Float32Array(size(tensor.shape)));
      continue;
    }
    const variable = byName.get(tensor.weight);
    if (variable === undefined)
      throw new RangeError(`the model has no weight '${tensor.weight}' that the training graph carries`);
    state.set(tensor.name, Float32Array.from(variable.read().dataSync() as Float32Array));
  }
  return state;
}

/**
 * Writes trained parameters and batch-norm statistics back into `model`'s weights (what saving, export and
 * evaluation read). Values absent from `state` are left as they are.
 *
 * @example
 * writeTrainedWeights(model, step, session.readState()); // model.predict now uses the trained weights
 */
export function writeTrainedWeights(
  model: tf.LayersModel,
  graph: TrainingGraph,
  state: ReadonlyMap<string, Float32Array>,
): void {
  const byName = new Map(model.weights.map((variable) => [variable.name, variable]));
  for (const tensor of graph.state) {
    if (tensor.kind === 'slot') continue;
    const values = state.get(tensor.name);
    if (values === undefined) continue;
    if (values.length !== size(tensor.shape)) {
      throw new RangeError(
        `'${tensor.name}' has ${values.length} values; its shape [${tensor.shape.join(', ')}] needs ${size(tensor.shape)}`,
      );
    }
    const variable = byName.get(tensor.weight);
    if (variable === undefined) throw new RangeError(`the model has no weight '${tensor.weight}'`);
    tf.tidy(() => {
      variable.write(tf.tensor(values, tensor.shape));
    });
  }
}

/**
 * tfjs's optimizer weights for the slots in `state` after `iterations` steps: `iter` (int32), then every slot
 * in `getWeights()` order with tfjs's names, so `optimizer.setWeights(…)` of the matching tfjs optimizer
 * (and a cnnx checkpoint) takes them. An optimizer without slots gives `[iter]` alone.
 *
 * @example
 * optimizerWeightsFromState(step, session.readState(), 120).map((weight) => weight.name);
 * // ['iter', 'conv2d_Conv2D1/kernel/m', …, 'conv2d_Conv2D1/kernel/v', …]
 */
export function optimizerWeightsFromState(
  graph: TrainingGraph,
  state: ReadonlyMap<string, Float32Array>,
  iterations: number,
): OptimizerWeights {
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new RangeError(`'iterations' must be an integer ≥ 0; got ${iterations}`);
  }
  const weights: OptimizerWeights = [{ name: 'iter', tensor: tf.scalar(iterations, 'int32') }];
  for (const tensor of graph.state) {
    if (tensor.kind !== 'slot') continue;
    const values = state.get(tensor.name);
    if (values === undefined) throw new RangeError(`the state has no optimizer slot '${tensor.name}'`);
    weights.push({ name: tensor.name, tensor: tf.tensor(values, tensor.shape) });
  }
  return weights;
}

/**
 * Whether a saved optimizer weight's name is `tensor`'s slot. A model loaded where the same weight names
 * already exist (a checkpoint resumed in the process that wrote it) gets tfjs's `_N` suffix on its weights
 * (`conv/kernel_1`), so names are compared without it; order and shapes are checked as well.
 */
function sameSlot(name: string, tensor: TrainingStateTensor): boolean {
  const slot = `/${tensor.slot}`;
  const base = (weight: string) => weight.replace(/_\d+$/, '');
  return name.endsWith(slot) && base(name.slice(0, -slot.length)) === base(tensor.weight);
}

/**
 * The iteration count and slot values in tfjs optimizer weights (from `getWeights()` or a checkpoint),
 * checked name by name (up to tfjs's `_N` suffix) and shape by shape against the graph. A tfjs optimizer
 * that has not stepped yet lists `iter` alone: its slots are zero, as tfjs would create them.
 *
 * @example
 * const { iterations, slots } = stateFromOptimizerWeights(step, await optimizer.getWeights());
 * // iterations → 120; slots.get('conv2d_Conv2D1/kernel/m') → Float32Array(288)
 */
export function stateFromOptimizerWeights(
  graph: TrainingGraph,
  weights: OptimizerWeights,
): { iterations: number; slots: TrainingStateValues } {
  const [first, ...rest] = weights;
  if (first?.name !== 'iter') {
    throw new RangeError(
      `optimizer weights must start with 'iter'; got ${JSON.stringify(first?.name ?? null)}`,
    );
  }
  const iterations = (first.tensor.dataSync() as Int32Array | Float32Array)[0] ?? 0;
  const expected = graph.state.filter((tensor) => tensor.kind === 'slot');
  const slots: TrainingStateValues = new Map();
  if (rest.length === 0) {
    for (const tensor of expected) slots.set(tensor.name, new Float32Array(size(tensor.shape)));
    return { iterations, slots };
  }
  if (rest.length !== expected.length) {
    throw new RangeError(
      `optimizer weights hold ${rest.length} slots; a ${graph.optimizer.name} step on this model carries ${expected.length} (${graph.slots.join(', ') || 'none'} per parameter)`,
    );
  }
  rest.forEach((weight, index) => {
    const tensor = expected[index]!;
    if (!sameSlot(weight.name, tensor)) {
      throw new RangeError(`optimizer weight ${index + 1} is '${weight.name}'; expected '${tensor.name}'`);
    }
    if (weight.tensor.shape.join() !== tensor.shape.join()) {
      throw new RangeError(
        `optimizer weight '${weight.name}' has shape [${weight.tensor.shape.join(', ')}]; expected [${tensor.shape.join(', ')}]`,
      );
    }
    slots.set(tensor.name, Float32Array.from(weight.tensor.dataSync() as Float32Array));
  });
  return { iterations, slots };
}
