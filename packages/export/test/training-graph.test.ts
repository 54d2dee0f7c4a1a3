/**
 * The training graph's contract besides the numbers: what it describes, which models it refuses and why,
 * dropout's masks, and how its state maps onto tfjs's weights and optimizer weights.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadDataset } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import {
  buildTrainingGraph,
  checkTrainable,
  createTrainerRegistry,
  dropoutTrainer,
  optimizerWeightsFromState,
  readOnnx,
  readTrainingState,
  stateFromOptimizerWeights,
  TrainerRegistry,
  UnsupportedLayerError,
  writeTrainedWeights,
} from '../src/index.js';
import { buildClassic } from './helpers.js';
import { assertStepsAgree, type Batch, relativeError, runGraphStep, tfjsStep } from './training-helpers.js';

const L = tf.layers;
let batch: Batch;

function sequential(inputShape: number[], layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  let output = input as tf.SymbolicTensor;
  for (const layer of layers) output = layer.apply(output) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

before(async () => {
  await tf.setBackend('cpu');
  const dataset = await loadDataset('mnist-sample');
  // Every 77th digit: the embedded digits are stored class by class.
  const picked = Array.from({ length: 16 }, (_, index) => index * 77);
  const images = new Float32Array(picked.length * 784);
  picked.forEach((source, row) => {
    for (let pixel = 0; pixel < 784; pixel++)
      images[row * 784 + pixel] = dataset.images[source * 784 + pixel]! / 255;
  });
  batch = { images, labels: Int32Array.from(picked, (source) => dataset.labels[source]!), count: 16 };
});

describe('the training graph describes every input and output', () => {
  test('classic with Adam: fixed inputs, parameters in trainableWeights order, slots in getWeights order', () => {
    const model = buildClassic();
    const graph = buildTrainingGraph(model, { optimizer: 'adam' });
    const weights = model.trainableWeights.map((weight) => weight.name);
    assert.deepEqual(
      graph.inputs.slice(0, 5).map((input) => [input.name, input.role, input.type, input.shape]),
      [
        ['images', 'images', 'float32', ['batch', 28, 28, 1]],
        ['labels', 'labels', 'int32', ['batch']],
        ['learning_rate', 'learning-rate', 'float32', []],
        ['step', 'step', 'float32', []],
        ['seed', 'seed', 'int32', []],
      ],
    );
    assert.deepEqual(
      graph.state.map((tensor) => tensor.name),
      [...weights, ...weights.map((name) => `${name}/m`), ...weights.map((name) => `${name}/v`)],
    );
    assert.deepEqual(graph.slots, ['m', 'v']);
    assert.deepEqual(graph.optimizer, { name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    for (const tensor of graph.state) {
      const input = graph.inputs.find((candidate) => candidate.name === tensor.input);
      const output = graph.outputs.find((candidate) => candidate.name === tensor.output);
      assert.ok(input && output, tensor.name);
      assert.deepEqual(input.shape, tensor.shape);
      assert.deepEqual(output.shape, tensor.shape);
      const variable = model.trainableWeights.find((weight) => weight.name === tensor.weight)!;
      assert.deepEqual(tensor.shape, variable.shape, 'tfjs shapes (HWIO kernels), no transposes to feed');
    }
    assert.deepEqual(
      graph.outputs.slice(0, 2).map((output) => [output.name, output.role]),
      [
        ['loss', 'loss'],
        ['correct', 'correct'],
      ],
    );
    assert.equal(graph.opset, 17);
  });

  test("classic's first max-pool takes its conv's windows cell by cell (one stride-2 Conv, no reordering GEMM), and the conv runs once per cell (no Split of its output, no Concat of its gradient)", () => {
    const { operators } = readOnnx(buildTrainingGraph(buildClassic(), { optimizer: 'adam' }).bytes);
    // conv1's windows come from one one-hot 4×4 Conv at stride 2, listed cell by cell of the pool and split
    // into the 4 cells; conv1 is then 4 Convs (+ the windows' and conv2's windows and input-gradient Convs:
    // 8), the pool reads their outputs and hands each its gradient. The second pool's input needs a gradient,
    // so it keeps its two listing GEMMs, its Split and its Concat; with conv1's 4 per-cell kernel gradients,
    // conv2's and the loss that makes 8 MatMuls. Adam updates the seven small weights as one vector: a
    // Concat each of their values, gradients, m and v, and a Split each of the new values, m and v.
    assert.equal(operators.Identity, undefined);
    assert.equal(operators.Conv, 8);
    assert.equal(operators.Split, 2 + 3, "the windows', the second pool's and the grouped update's");
    assert.equal(operators.Concat, 1 + 4, "the second pool's gradient and the grouped update's");
    assert.equal(operators.MatMul, 8);
  });

  test('batch-norm statistics come after the slots; SGD without momentum has no slots; RMSprop has rms then momentum', () => {
    const model = sequential(
      [28, 28, 1],
      [
        L.conv2d({ filters: 2, kernelSize: 3 }),
        L.batchNormalization(),
        L.flatten(),
        L.dense({ units: 10, activation: 'softmax' }),
      ],
    );
    const sgd = buildTrainingGraph(model, { optimizer: 'sgd' });
    assert.deepEqual(sgd.slots, []);
    assert.deepEqual(
      sgd.state
        .filter((tensor) => tensor.kind === 'statistic')
        .map((tensor) => tensor.weight.split('/').at(-1)),
      ['moving_mean', 'moving_variance'],
    );
    assert.equal(sgd.state.at(-1)!.kind, 'statistic');
    const rmsprop = buildTrainingGraph(model, { optimizer: { name: 'rmsprop', momentum: 0.5 } });
    assert.deepEqual(rmsprop.slots, ['rms', 'momentum']);
    assert.deepEqual(rmsprop.optimizer, { name: 'rmsprop', decay: 0.9, momentum: 0.5, epsilon: 1e-7 });
    const nesterov = buildTrainingGraph(model, { optimizer: { name: 'sgd', nesterov: true } });
    assert.deepEqual(nesterov.optimizer, { name: 'sgd', momentum: 0.9, nesterov: true });
    assert.deepEqual(nesterov.slots, ['momentum']);
  });

  test('categorical cross-entropy takes float targets [batch, classes]', () => {
    const graph = buildTrainingGraph(buildClassic(), { loss: 'categorical-crossentropy' });
    const labels = graph.inputs.find((input) => input.role === 'labels')!;
    assert.deepEqual([labels.type, labels.shape], ['float32', ['batch', 10]]);
  });

  test('the graph has a symbolic batch: one graph trains a full batch and a short last one', async () => {
    const model = buildClassic();
    const graph = buildTrainingGraph(model, { optimizer: 'sgd' });
    const state = readTrainingState(model, graph);
    for (const count of [16, 5]) {
      const part = {
        images: batch.images.subarray(0, count * 784),
        labels: (batch.labels as Int32Array).subarray(0, count),
        count,
      };
      const result = await runGraphStep(graph, state, part, { learningRate: 0.01 });
      assert.ok(Number.isFinite(result.loss) && result.correct >= 0 && result.correct <= count);
    }
  });
});

describe('what the builder refuses, and why', () => {
  test('a layer class without a trainer: checkTrainable names the layer; the builder throws UnsupportedLayerError', () => {
    const model = sequential(
      [28, 28, 1],
      [
        L.conv2d({ filters: 2, kernelSize: 3, name: 'features' }),
        L.upSampling2d({ name: 'bigger' }),
        L.flatten(),
        L.dense({ units: 10 }),
      ],
    );
    assert.deepEqual(checkTrainable(model), {
      trainable: false,
      layer: 'bigger',
      className: 'UpSampling2D',
      reason: "layer class 'UpSampling2D' has no trainer",
    });
    assert.throws(
      () => buildTrainingGraph(model),
      (error: unknown) =>
        error instanceof UnsupportedLayerError &&
        error.layer === 'UpSampling2D' &&
        /not supported by the onnxruntime training engine \(layer 'bigger'/.test(error.message) &&
        /supported: Activation, Add, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, InputLayer, MaxPooling2D, Reshape$/.test(
          error.message,
        ) &&
        !error.message.includes('\n'),
    );
  });

  test('an option a trainer does not cover, a frozen layer, two outputs', () => {
    const dilated = sequential(
      [28, 28, 1],
      [
        L.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, name: 'wide' }),
        L.flatten(),
        L.dense({ units: 10 }),
      ],
    );
    assert.deepEqual(checkTrainable(dilated), {
      trainable: false,
      layer: 'wide',
      className: 'Conv2D',
      reason: 'dilationRate 2×2 (tfjs has no gradient for it either)',
    });
    const gelu = sequential(
      [28, 28, 1],
      [L.flatten(), L.dense({ units: 10, activation: 'gelu' as 'relu', name: 'smooth' })],
    );
    const verdict = checkTrainable(gelu);
    assert.ok(!verdict.trainable && verdict.layer === 'smooth' && /activation 'gelu'/.test(verdict.reason));
    const frozen = sequential(
      [28, 28, 1],
      [L.flatten(), L.dense({ units: 10, trainable: false, name: 'fixed' })],
    );
    assert.deepEqual(checkTrainable(frozen), {
      trainable: false,
      layer: 'fixed',
      className: 'Dense',
      reason: 'the layer is frozen (trainable: false)',
    });
    const input = tf.input({ shape: [4] });
    const twoHeads = tf.model({
      inputs: input,
      outputs: [
        L.dense({ units: 2 }).apply(input) as tf.SymbolicTensor,
        L.dense({ units: 3 }).apply(input) as tf.SymbolicTensor,
      ],
    });
    const heads = checkTrainable(twoHeads);
    assert.ok(!heads.trainable && /2 outputs/.test(heads.reason));
    assert.deepEqual(checkTrainable(buildClassic()), { trainable: true });
  });

  test('bad settings throw a RangeError naming the setting', () => {
    const model = buildClassic();
    assert.throws(
      () => buildTrainingGraph(model, { labelSmoothing: 1 }),
      /'labelSmoothing' must be in \[0, 1\); got 1/,
    );
    assert.throws(
      () => buildTrainingGraph(model, { optimizer: 'adagrad' as 'adam' }),
      /'optimizer' must be one of adam, sgd, rmsprop; got "adagrad"/,
    );
    assert.throws(
      () => buildTrainingGraph(model, { optimizer: { name: 'adam', beta1: 1.5 } }),
      /'optimizer.beta1' must be in \[0, 1\); got 1.5/,
    );
    assert.throws(
      () => buildTrainingGraph(model, { loss: 'mse' as 'categorical-crossentropy' }),
      /'loss' must be/,
    );
  });

  test('the registry refuses a second trainer for a class and lists what it has', () => {
    const registry = new TrainerRegistry();
    registry.register(dropoutTrainer);
    assert.throws(() => registry.register(dropoutTrainer), /already registered/);
    assert.throws(
      () => registry.get('LSTM'),
      (error: unknown) => error instanceof UnsupportedLayerError && /supported: Dropout$/.test(error.message),
    );
    assert.equal(createTrainerRegistry().supported().length, 13);
  });
});

describe('dropout: a fresh mask per seed, tfjs scaling, tfjs gradients given the same mask', () => {
  const build = () =>
    sequential(
      [28, 28, 1],
      [
        L.flatten(),
        L.dense({ units: 256, activation: 'relu' }),
        L.dropout({ rate: 0.3, name: 'drop_a' }),
        L.dense({ units: 64, activation: 'relu' }),
        L.dropout({ rate: 0.5, name: 'drop_b' }),
        L.dense({ units: 10, activation: 'softmax' }),
      ],
    );

  test('masks are 0 or 1/(1 − rate), keep 1 − rate of the values, change with the seed and the layer, repeat with the same seed', async () => {
    const model = build();
    const graph = buildTrainingGraph(model, { debugOutputs: true });
    const state = readTrainingState(model, graph);
    const first = await runGraphStep(graph, state, batch, { seed: 7 });
    const again = await runGraphStep(graph, state, batch, { seed: 7 });
    const other = await runGraphStep(graph, state, batch, { seed: 8 });
    for (const [layer, rate, size] of [
      ['drop_a', 0.3, 256],
      ['drop_b', 0.5, 64],
    ] as const) {
      const mask = first.masks.get(layer)!;
      assert.equal(mask.length, batch.count * size);
      const scale = Math.fround(1 / Math.fround(1 - Math.fround(rate)));
      assert.ok(
        mask.every((value) => value === 0 || value === scale),
        `${layer}: values are 0 or ${scale}`,
      );
      const kept = mask.filter((value) => value !== 0).length / mask.length;
      assert.ok(
        Math.abs(kept - (1 - rate)) < 4 * Math.sqrt((rate * (1 - rate)) / mask.length),
        `${layer} keeps ${kept}`,
      );
      assert.deepEqual(again.masks.get(layer), mask, 'the same seed draws the same mask');
      const changed =
        other.masks.get(layer)!.filter((value, index) => value !== mask[index]).length / mask.length;
      assert.ok(changed > 0.3, `another seed changes ${changed} of ${layer}'s mask`);
    }
    // The two layers draw from different streams (compare where both have the same size: the first 64 of each row).
    const a = first.masks.get('drop_a')!;
    const b = first.masks.get('drop_b')!;
    let same = 0;
    for (let row = 0; row < batch.count; row++)
      for (let i = 0; i < 64; i++) same += Number((a[row * 256 + i]! === 0) === (b[row * 64 + i]! === 0));
    assert.ok(same / (batch.count * 64) < 0.7, 'independent masks agree about half the time');
  });

  test('given the same masks, gradients and updated weights match tfjs', async () => {
    const model = build();
    const graph = buildTrainingGraph(model, { optimizer: 'sgd', debugOutputs: true });
    const ours = await runGraphStep(graph, readTrainingState(model, graph), batch, {
      seed: 3,
      learningRate: 0.5,
    });
    const theirs = await tfjsStep(model, tf.train.sgd(0.5), batch, { masks: ours.masks });
    assertStepsAgree(graph, ours, theirs);
  });

  // The `best` preset's shape (packages/train/src/models/presets.ts). SGD, so the updated weights are the
  // gradients' image: Adam's first step, w − lr·g/(|g| + ε), turns float32 noise on near-zero gradient
  // entries into visible differences (the optimizer cases of training-step.test.ts check Adam itself).
  test('a model shaped like the best preset (residual Add, two dropouts, batch norm on a Dense without bias, label smoothing) matches tfjs', async () => {
    const input = tf.input({ shape: [28, 28, 1] });
    const conv = (filters: number, activation: 'relu' | 'linear' = 'relu') =>
      L.conv2d({ filters, kernelSize: 3, padding: 'same', activation });
    const pool1 = L.maxPooling2d({ poolSize: 2 }).apply(conv(8).apply(input)) as tf.SymbolicTensor;
    const pool2 = L.maxPooling2d({ poolSize: 2 }).apply(conv(8).apply(pool1)) as tf.SymbolicTensor;
    const branch = conv(8, 'linear').apply(conv(8).apply(pool2)) as tf.SymbolicTensor;
    const residual = L.activation({ activation: 'relu' }).apply(L.add().apply([pool2, branch]));
    const dropped = L.dropout({ rate: 0.25, name: 'drop1' }).apply(residual) as tf.SymbolicTensor;
    const hidden = L.dense({ units: 16, useBias: false }).apply(L.flatten().apply(dropped));
    const normed = L.activation({ activation: 'relu' }).apply(
      L.batchNormalization({ momentum: 0.9 }).apply(hidden),
    );
    const output = L.dense({ units: 10, activation: 'softmax' }).apply(
      L.dropout({ rate: 0.4, name: 'drop2' }).apply(normed),
    ) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const graph = buildTrainingGraph(model, { optimizer: 'sgd', labelSmoothing: 0.1, debugOutputs: true });
    const ours = await runGraphStep(graph, readTrainingState(model, graph), batch, {
      seed: 9,
      learningRate: 0.1,
    });
    assert.equal(ours.masks.size, 2);
    const theirs = await tfjsStep(model, tf.train.sgd(0.1), batch, {
      labelSmoothing: 0.1,
      masks: ours.masks,
    });
    assertStepsAgree(graph, ours, theirs);
  });

  test('a rank-4 dropout (after a conv) masks in tfjs order', async () => {
    const model = sequential(
      [28, 28, 1],
      [
        L.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu' }),
        L.dropout({ rate: 0.25, name: 'drop' }),
        L.flatten(),
        L.dense({ units: 10, activation: 'softmax' }),
      ],
    );
    const graph = buildTrainingGraph(model, { optimizer: 'sgd', debugOutputs: true });
    const ours = await runGraphStep(graph, readTrainingState(model, graph), batch, {
      seed: 11,
      learningRate: 0.5,
    });
    assert.deepEqual(graph.outputs.find((output) => output.role === 'dropout-mask')!.shape, [
      'batch',
      13,
      13,
      4,
    ]);
    assertStepsAgree(graph, ours, await tfjsStep(model, tf.train.sgd(0.5), batch, { masks: ours.masks }));
  });
});

describe('state ⇄ tfjs: weights into the model, optimizer weights in and out', () => {
  const small = () =>
    sequential(
      [28, 28, 1],
      [
        L.conv2d({ filters: 3, kernelSize: 3, strides: 2, activation: 'relu' }),
        L.batchNormalization({ momentum: 0.9 }),
        L.flatten(),
        L.dense({ units: 10, activation: 'softmax' }),
      ],
    );

  test('after two Adam steps, optimizerWeightsFromState equals tfjs getWeights (names, order, iter, values)', async () => {
    const model = small();
    const graph = buildTrainingGraph(model, { optimizer: 'adam' });
    let state = readTrainingState(model, graph);
    const optimizer = tf.train.adam(0.01);
    for (let step = 0; step < 2; step++) {
      state = (await runGraphStep(graph, state, batch, { learningRate: 0.01, step })).state;
      await tfjsStep(model, optimizer, batch);
    }
    const ours = optimizerWeightsFromState(graph, state, 2);
    const theirs = await optimizer.getWeights();
    assert.deepEqual(
      ours.map((weight) => [weight.name, weight.tensor.dtype, weight.tensor.shape]),
      theirs.map((weight) => [weight.name, weight.tensor.dtype, weight.tensor.shape]),
    );
    assert.equal(ours[0]!.tensor.dataSync()[0], 2);
    ours.slice(1).forEach((weight, index) => {
      const error = relativeError(weight.tensor.dataSync(), theirs[index + 1]!.tensor.dataSync());
      assert.ok(error < 1e-5, `${weight.name}: ${error}`);
    });
  });

  test('a run continues across engines: tfjs → graph and graph → tfjs give the steps an uninterrupted run gives', async () => {
    // Reference: three tfjs steps.
    const reference = small();
    const start = reference.getWeights().map((tensor) => tensor.clone());
    const referenceOptimizer = tf.train.momentum(0.05, 0.9, true);
    for (let step = 0; step < 3; step++) await tfjsStep(reference, referenceOptimizer, batch);
    // By position: each model's weights have their own unique tfjs names.
    const expected = reference.weights.map((weight) => weight.read().dataSync() as Float32Array);
    const assertLikeReference = (state: Map<string, Float32Array>, names: string[], what: string) =>
      names.forEach((name, index) => {
        assert.ok(relativeError(state.get(name)!, expected[index]!) < 1e-5, `${what}: ${name}`);
      });

    // Two tfjs steps, then the graph resumes from the model and tfjs's optimizer weights.
    const model = small();
    model.setWeights(start);
    const graph = buildTrainingGraph(model, { optimizer: { name: 'sgd', nesterov: true } });
    const optimizer = tf.train.momentum(0.05, 0.9, true);
    for (let step = 0; step < 2; step++) await tfjsStep(model, optimizer, batch);
    const { iterations, slots } = stateFromOptimizerWeights(graph, await optimizer.getWeights());
    assert.equal(iterations, 2);
    const state = new Map([...readTrainingState(model, graph), ...slots]);
    const resumed = (await runGraphStep(graph, state, batch, { learningRate: 0.05, step: iterations })).state;
    assertLikeReference(
      resumed,
      model.weights.map((weight) => weight.name),
      'tfjs → graph',
    );

    // One graph step from the start, then tfjs resumes with the graph's state as its weights and optimizer weights.
    const back = small();
    back.setWeights(start);
    const backGraph = buildTrainingGraph(back, { optimizer: { name: 'sgd', nesterov: true } });
    const first = (
      await runGraphStep(backGraph, readTrainingState(back, backGraph), batch, {
        learningRate: 0.05,
        step: 0,
      })
    ).state;
    writeTrainedWeights(back, backGraph, first);
    const backOptimizer = tf.train.momentum(0.05, 0.9, true);
    await backOptimizer.setWeights(optimizerWeightsFromState(backGraph, first, 1));
    for (let step = 1; step < 3; step++) await tfjsStep(back, backOptimizer, batch);
    const after = new Map(
      back.weights.map((weight) => [weight.name, weight.read().dataSync() as Float32Array]),
    );
    assertLikeReference(
      after,
      back.weights.map((weight) => weight.name),
      'graph → tfjs',
    );
  });

  test('a fresh tfjs optimizer (iter alone) gives zero slots; a wrong name or shape is refused', async () => {
    const model = small();
    const graph = buildTrainingGraph(model, { optimizer: 'adam' });
    const fresh = stateFromOptimizerWeights(graph, [{ name: 'iter', tensor: tf.scalar(0, 'int32') }]);
    assert.equal(fresh.iterations, 0);
    assert.equal(fresh.slots.size, graph.state.filter((tensor) => tensor.kind === 'slot').length);
    assert.ok([...fresh.slots.values()].every((values) => values.every((value) => value === 0)));
    const weights = optimizerWeightsFromState(graph, new Map([...readTrainingState(model, graph)]), 5);
    const renamed = weights.map((weight, index) =>
      index === 1 ? { ...weight, name: 'other/kernel/m' } : weight,
    );
    assert.throws(
      () => stateFromOptimizerWeights(graph, renamed),
      /optimizer weight 1 is 'other\/kernel\/m'; expected '.*\/kernel\/m'/,
    );
    const reshaped = weights.map((weight, index) =>
      index === 1 ? { ...weight, tensor: weight.tensor.reshape([-1]) } : weight,
    );
    assert.throws(
      () => stateFromOptimizerWeights(graph, reshaped),
      /has shape \[\d+\]; expected \[3, 3, 1, 3\]/,
    );
    assert.throws(() => stateFromOptimizerWeights(graph, weights.slice(1)), /must start with 'iter'/);
    assert.throws(
      () => stateFromOptimizerWeights(graph, weights.slice(0, 3)),
      /hold 2 slots; a adam step on this model carries/,
    );
  });

  test('writeTrainedWeights sets parameters and statistics into the model; readTrainingState reads them back', () => {
    const model = small();
    const graph = buildTrainingGraph(model, { optimizer: 'sgd' });
    const state = readTrainingState(model, graph);
    const changed = new Map(
      [...state].map(([name, values]) => [name, values.map((value, index) => value + index * 1e-3)]),
    );
    writeTrainedWeights(model, graph, changed);
    assert.deepEqual(readTrainingState(model, graph), changed);
    assert.throws(
      () => writeTrainedWeights(model, graph, new Map([[graph.state[0]!.name, new Float32Array(2)]])),
      /has 2 values; its shape/,
    );
  });
});
