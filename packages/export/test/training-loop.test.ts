/**
 * `loopTrainingGraph`: several steps in one onnxruntime run give what the step graph gives run after run, for a
 * model whose every kind of carried value (parameters, Adam's slots, batch-norm statistics) and per-step input
 * (learning rate, step number, dropout seed) matters.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadDataset } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import {
  buildTrainingGraph,
  loopTrainingGraph,
  readTrainingState,
  type TrainingGraph,
  type TrainingStateValues,
} from '../src/index.js';
import { buildClassic, CheckerBatch } from './helpers.js';
import { type Batch, relativeError, runGraphStep } from './training-helpers.js';

const L = tf.layers;
const checker = new CheckerBatch();
let digits: Batch[];

before(async () => {
  await tf.setBackend('cpu');
  const dataset = await loadDataset('mnist-sample');
  // three batches of 8 digits from across the classes (the embedded digits are stored class by class)
  digits = [0, 1, 2].map((batch) => {
    const picked = Array.from({ length: 8 }, (_, row) => (batch * 8 + row) * 41);
    const images = new Float32Array(picked.length * 784);
    picked.forEach((source, row) => {
      for (let pixel = 0; pixel < 784; pixel++)
        images[row * 784 + pixel] = dataset.images[source * 784 + pixel]! / 255;
    });
    return { images, labels: Int32Array.from(picked, (source) => dataset.labels[source]!), count: 8 };
  });
});

/** Conv, batch norm, relu, max pool, dropout and dense: a model that carries all three kinds of state. */
function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = L.conv2d({
    filters: 4,
    kernelSize: 3,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
  }).apply(input) as tf.SymbolicTensor;
  x = L.batchNormalization().apply(x) as tf.SymbolicTensor;
  x = L.activation({ activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = L.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = L.flatten().apply(x) as tf.SymbolicTensor;
  x = L.dropout({ rate: 0.3 }).apply(x) as tf.SymbolicTensor;
  const output = L.dense({
    units: 10,
    activation: 'softmax',
    kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }),
  }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

const RATES = [0.01, 0.005, 0.0025];
const SEEDS = [11, -7, 1234567];
const FIRST_STEP = 5;

/** One run of the looped graph over `batches` (one step each, numbered from FIRST_STEP). */
async function runLoop(
  graph: TrainingGraph,
  state: TrainingStateValues,
  batches: Batch[],
): Promise<{ losses: Float32Array; correct: Float32Array; state: TrainingStateValues }> {
  const session = await ort.InferenceSession.create(graph.bytes, { intraOpNumThreads: 1 });
  try {
    const count = batches[0]!.count;
    const images = new Float32Array(batches.length * count * 784);
    const labels = new Int32Array(batches.length * count);
    batches.forEach((batch, index) => {
      images.set(batch.images, index * count * 784);
      labels.set(batch.labels as Int32Array, index * count);
    });
    const feeds: Record<string, ort.Tensor> = {
      images: new ort.Tensor('float32', images, [batches.length, count, ...graph.imageShape]),
      labels: new ort.Tensor('int32', labels, [batches.length, count]),
      learning_rate: new ort.Tensor('float32', Float32Array.from(RATES.slice(0, batches.length)), [
        batches.length,
      ]),
      step: new ort.Tensor('float32', Float32Array.of(FIRST_STEP), []),
      seed: new ort.Tensor('int32', Int32Array.from(SEEDS.slice(0, batches.length)), [batches.length]),
    };
    for (const tensor of graph.state)
      feeds[tensor.input] = new ort.Tensor('float32', state.get(tensor.name)!, tensor.shape);
    const results = await session.run(feeds);
    const read = (name: string) => results[name]!.data as Float32Array;
    return {
      losses: read(graph.names.loss),
      correct: read(graph.names.correct),
      state: new Map(graph.state.map((tensor) => [tensor.name, read(tensor.output)])),
    };
  } finally {
    await session.release();
  }
}

/** Runs `steps` batches through the step graph one run at a time, and through the looped graph in one run. */
async function assertLoopMatchesSteps(
  model: tf.LayersModel,
  step: TrainingGraph,
  steps: number,
): Promise<void> {
  const looped = loopTrainingGraph(step);
  checker.add(`looped-${steps}`, looped.bytes);
  const start = readTrainingState(model, step);
  let state = start;
  const losses: number[] = [];
  const hits: number[] = [];
  for (let index = 0; index < steps; index++) {
    const result = await runGraphStep(step, state, digits[index]!, {
      learningRate: RATES[index]!,
      step: FIRST_STEP + index,
      seed: SEEDS[index]!,
    });
    losses.push(result.loss);
    hits.push(result.correct);
    state = result.state;
  }
  const run = await runLoop(looped, start, digits.slice(0, steps));
  assert.equal(run.losses.length, steps, 'one loss per step');
  for (let index = 0; index < steps; index++) {
    assert.ok(
      Math.abs(run.losses[index]! - losses[index]!) <= 1e-6 * Math.abs(losses[index]!),
      `step ${index + 1}: loss ${run.losses[index]} in the loop, ${losses[index]} alone`,
    );
    assert.equal(run.correct[index], hits[index], `step ${index + 1}: hits`);
  }
  if (steps > 1) {
    // the losses differ from step to step: the loop did not run the first step again
    assert.notEqual(run.losses[steps - 1], run.losses[0], 'the steps saw different batches and weights');
  }
  for (const tensor of step.state) {
    const error = relativeError(run.state.get(tensor.name)!, state.get(tensor.name)!);
    assert.ok(error <= 1e-6, `${tensor.kind} ${tensor.name} after ${steps} steps: relative error ${error}`);
  }
}

describe('a looped training graph runs several steps in one run', () => {
  test('three steps of conv, batch norm, max pool, dropout and dense with Adam equal three runs of the step', async () => {
    const model = smallModel();
    await assertLoopMatchesSteps(model, buildTrainingGraph(model, { optimizer: 'adam' }), 3);
    model.dispose();
  });

  test('one step in the loop equals one run of the step (classic, SGD with momentum)', async () => {
    const model = buildClassic();
    await assertLoopMatchesSteps(
      model,
      buildTrainingGraph(model, { optimizer: { name: 'sgd', momentum: 0.9 } }),
      1,
    );
    model.dispose();
  });

  test('describes its inputs and outputs with one entry per step', () => {
    const model = smallModel();
    const step = buildTrainingGraph(model, { optimizer: 'adam' });
    const looped = loopTrainingGraph(step);
    assert.equal(step.loop, false, 'the step graph takes one step a run');
    assert.equal(looped.loop, true, 'the looped graph takes several');
    const shapes = (tensors: TrainingGraph['inputs']) =>
      Object.fromEntries(tensors.slice(0, 5).map((tensor) => [tensor.name, tensor.shape]));
    assert.deepEqual(shapes(looped.inputs), {
      images: ['steps', 'batch', 28, 28, 1],
      labels: ['steps', 'batch'],
      learning_rate: ['steps'],
      step: [],
      seed: ['steps'],
    });
    assert.deepEqual(
      looped.outputs.slice(0, 2).map((tensor) => tensor.shape),
      [['steps'], ['steps']],
      'loss and correct: one per step',
    );
    assert.deepEqual(looped.state, step.state, 'the same carried tensors under the same names');
    model.dispose();
  });

  test('refuses a graph that exposes gradients, and a graph that already loops', () => {
    const model = smallModel();
    const debug = buildTrainingGraph(model, { optimizer: 'adam', debugOutputs: true });
    assert.throws(
      () => loopTrainingGraph(debug),
      /gives only the loss, the hits and the state; '.*' \((gradient|dropout-mask)\) is neither/,
    );
    const looped = loopTrainingGraph(buildTrainingGraph(model, { optimizer: 'adam' }));
    assert.throws(() => loopTrainingGraph(looped), /already loops/);
    model.dispose();
  });

  test('ONNX 1.12 checker (full_check) accepts the looped graphs', () => {
    const failures = checker.run();
    if (failures === null) return; // python3-onnx not installed
    assert.deepEqual(failures, []);
  });
});
