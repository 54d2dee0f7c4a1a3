/**
 * The training session on onnxruntime-node: several steps against the same steps in tfjs (cpu backend),
 * buffers swapped between steps, state out and in (weights into the tfjs model, optimizer weights for a
 * checkpoint), one session per process, and its errors.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadDataset } from '@cnnx/data';
import {
  buildTrainingGraph,
  loopTrainingGraph,
  type OptimizerWeights,
  optimizerWeightsFromState,
  readTrainingState,
  stateFromOptimizerWeights,
  writeTrainedWeights,
} from '@cnnx/export';
import * as tf from '@tensorflow/tfjs';
import {
  Classifier,
  cudaUnavailableReason,
  DeviceUnavailableError,
  nchwcBlockSize,
  TrainingSession,
} from '../src/index.js';
import { nodeTrainingBackend } from '../src/training/node.js';
import { TrainingSession as CoreTrainingSession } from '../src/training/training-session.js';
import { SPIN_MARGIN } from '../src/training/wait-trials.js';

const L = tf.layers;
let images: Float32Array;
let labels: Int32Array;

/** A small conv net with every kind of state: Adam moments, batch-norm statistics. */
function buildModel(seed = 1): tf.LayersModel {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 10 + offset });
  return tf.sequential({
    layers: [
      L.conv2d({
        inputShape: [28, 28, 1],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      L.batchNormalization({ momentum: 0.9 }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
}

function batch(step: number, count = 16) {
  const start = step * count;
  return {
    images: images.subarray(start * 784, (start + count) * 784),
    labels: labels.subarray(start, start + count),
    count,
  };
}

/** tfjs's step, as `@cnnx/train`'s loop takes it (its cross-entropy, `optimizer.minimize`). */
function tfjsStep(model: tf.LayersModel, optimizer: tf.Optimizer, step: number): number {
  const { images: pixels, labels: classes, count } = batch(step);
  return tf.tidy(() => {
    const x = tf.tensor4d(pixels, [count, 28, 28, 1]);
    const targets = tf.oneHot(tf.tensor1d(classes, 'int32'), 10).toFloat();
    const cost = optimizer.minimize(
      () => {
        const probabilities = model.apply(x, { training: true }) as tf.Tensor;
        return tf.neg(tf.sum(tf.mul(targets, tf.log(tf.add(probabilities, 1e-7))))).div(count) as tf.Scalar;
      },
      true,
      model.trainableWeights.map((weight) => weight.read() as tf.Variable),
    );
    return cost!.dataSync()[0]!;
  });
}

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let index = 0; index < expected.length; index++) {
    worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
    scale = Math.max(scale, Math.abs(expected[index]!));
  }
  return worst / scale;
}

before(async () => {
  await tf.setBackend('cpu');
  const dataset = await loadDataset('mnist-sample');
  // Every 77th digit: the embedded digits are stored class by class.
  const picked = Array.from({ length: 128 }, (_, index) => index * 77);
  images = new Float32Array(picked.length * 784);
  picked.forEach((source, row) => {
    for (let pixel = 0; pixel < 784; pixel++)
      images[row * 784 + pixel] = dataset.images[source * 784 + pixel]! / 255;
  });
  labels = Int32Array.from(picked, (source) => dataset.labels[source]!);
});

describe('TrainingSession (onnxruntime-node)', () => {
  test("nchwcBlockSize(): onnxruntime-node's blocked-convolution block here (8 with AVX2, 16 with AVX-512)", async () => {
    const block = await nchwcBlockSize();
    if (process.arch === 'x64') assert.ok(block === 8 || block === 16, `block ${block}`);
    else assert.ok(block === null || (block >= 4 && (block & (block - 1)) === 0), `block ${block}`);
    assert.equal(await nchwcBlockSize(), block, 'measured once, the same answer after');
  });

  test('five Adam steps give tfjs’s losses, weights, moments and moving statistics', async () => {
    const model = buildModel();
    const graph = buildTrainingGraph(model, { optimizer: 'adam' });
    const session = await TrainingSession.open(graph, readTrainingState(model, graph), { threads: 1 });
    try {
      assert.deepEqual(session.info, {
        device: 'cpu',
        provider: 'cpu',
        threads: 1,
        spinWait: false,
        waitTrials: null,
      });
      const optimizer = tf.train.adam(0.01);
      for (let step = 0; step < 5; step++) {
        const ours = await session.step(batch(step), { learningRate: 0.01 });
        const theirs = tfjsStep(model, optimizer, step);
        assert.ok(
          Math.abs(ours.loss - theirs) < 1e-5 * theirs,
          `step ${step + 1}: loss ${ours.loss} vs ${theirs}`,
        );
        assert.ok(ours.correct >= 0 && ours.correct <= 16);
      }
      assert.equal(session.iterations, 5);
      const state = await session.readState();
      for (const weight of model.weights) {
        const error = relativeError(state.get(weight.name)!, weight.read().dataSync());
        assert.ok(error < 1e-5, `${weight.name}: ${error}`);
      }
      const moments = await optimizer.getWeights();
      const ours = optimizerWeightsFromState(graph, state, session.iterations);
      assert.deepEqual(
        ours.map((weight) => weight.name),
        moments.map((weight) => weight.name),
      );
      assert.equal(ours[0]!.tensor.dataSync()[0], 5);
      for (const [index, weight] of moments.entries()) {
        if (index === 0) continue;
        const error = relativeError(ours[index]!.tensor.dataSync(), weight.tensor.dataSync());
        assert.ok(error < 1e-5, `${weight.name}: ${error}`);
      }
    } finally {
      await session.release();
    }
  });

  test('a looped graph takes several batches a run and gives what the step graph gives one by one', async () => {
    const model = buildModel(3);
    const step = buildTrainingGraph(model, { optimizer: 'adam' });
    const looped = loopTrainingGraph(step);
    // four batches of 16 (one run), then 5 (a run of their own: a run's batches share their size)
    const batches = [0, 1, 2, 3].map((index) => batch(index));
    const last = batch(4);
    batches.push({ images: last.images.subarray(0, 5 * 784), labels: last.labels.subarray(0, 5), count: 5 });
    const seeds = [7, 8, 9, 10, 11];
    const expected: { loss: number; correct: number }[] = [];
    const alone = await TrainingSession.open(step, readTrainingState(model, step), { threads: 1 });
    let state: Map<string, Float32Array>;
    try {
      for (const [index, each] of batches.entries())
        expected.push(await alone.step(each, { learningRate: 0.01, seed: seeds[index]! }));
      state = await alone.readState();
    } finally {
      await alone.release();
    }
    const session = await TrainingSession.open(looped, readTrainingState(model, looped), { threads: 1 });
    try {
      const results = await session.steps(batches, { learningRate: 0.01, seeds });
      assert.equal(session.iterations, 5, 'five steps');
      assert.equal(results.length, 5, 'a result per batch');
      for (const [index, result] of results.entries()) {
        const { loss, correct } = expected[index]!;
        assert.ok(
          Math.abs(result.loss - loss) <= 1e-6 * loss,
          `step ${index + 1}: ${result.loss} vs ${loss}`,
        );
        assert.equal(result.correct, correct, `step ${index + 1}: hits`);
      }
      const ours = await session.readState();
      for (const tensor of looped.state) {
        const error = relativeError(ours.get(tensor.name)!, state.get(tensor.name)!);
        assert.ok(error <= 1e-6, `${tensor.name}: ${error}`);
      }
      // one batch through the looped graph is one step
      const next = await session.step(batch(5), { learningRate: 0.01 });
      assert.ok(Number.isFinite(next.loss), 'step() runs a looped graph');
      assert.equal(session.iterations as number, 6, 'one step');
      await assert.rejects(
        session.steps(batches.slice(0, 2), { learningRate: 0.01, seeds: [1] }),
        /'seeds' must hold one seed per batch \(2\), got 1/,
      );
    } finally {
      await session.release();
    }
  });

  test('weights read out into the tfjs model predict as the session trained them; writeState resumes a checkpoint', async () => {
    const model = buildModel(2);
    const graph = buildTrainingGraph(model, { optimizer: { name: 'sgd', momentum: 0.9 } });
    const session = await TrainingSession.open(graph, readTrainingState(model, graph));
    let checkpoint: { state: Map<string, Float32Array>; weights: OptimizerWeights };
    const losses: number[] = [];
    try {
      for (let step = 0; step < 3; step++) await session.step(batch(step), { learningRate: 0.05 });
      const state = await session.readState();
      checkpoint = { state, weights: optimizerWeightsFromState(graph, state, session.iterations) };
      for (let step = 3; step < 5; step++)
        losses.push((await session.step(batch(step), { learningRate: 0.05 })).loss);
      writeTrainedWeights(model, graph, await session.readState());
    } finally {
      await session.release();
    }
    // The model now holds the trained weights: its (inference-mode) predictions are the trained net's.
    const probabilities = tf.tidy(() =>
      (model.predict(tf.tensor4d(batch(6).images, [16, 28, 28, 1])) as tf.Tensor).dataSync(),
    );
    assert.ok(probabilities.every(Number.isFinite));

    // A new session from the checkpoint (weights + optimizer weights + iteration count) continues the same way.
    const { iterations, slots } = stateFromOptimizerWeights(graph, checkpoint.weights);
    const weightsOnly = new Map([...checkpoint.state].filter(([name]) => !slots.has(name)));
    const resumed = await TrainingSession.open(graph, new Map([...weightsOnly, ...slots]), {}, iterations);
    try {
      assert.equal(resumed.iterations, 3);
      for (let step = 3; step < 5; step++) {
        const { loss } = await resumed.step(batch(step), { learningRate: 0.05 });
        assert.ok(
          Math.abs(loss - losses[step - 3]!) < 1e-6 * losses[step - 3]!,
          `resumed step ${step + 1}: ${loss} vs ${losses[step - 3]}`,
        );
      }
      // writeState replaces values in place: back to the checkpoint, the next step repeats step 4.
      resumed.writeState(checkpoint.state, 3);
      const again = await resumed.step(batch(3), { learningRate: 0.05 });
      assert.ok(Math.abs(again.loss - losses[0]!) < 1e-6 * losses[0]!);
    } finally {
      await resumed.release();
    }
  });

  test("spinWait 'auto' times both ways of waiting on its own steps and trains exactly as a sleeping session", async () => {
    const model = buildModel(5);
    const graph = buildTrainingGraph(model);
    const initial = readTrainingState(model, graph);
    /** Trains `steps` steps, or with 'trial' until the first trial's verdict and 4 steps more (at most 2,000). */
    const train = async (
      options: { spinWait?: boolean | 'auto'; threads: number },
      steps: number | 'trial',
    ) => {
      const session = await TrainingSession.open(graph, initial, options);
      try {
        const losses: number[] = [];
        let more = 4;
        for (let step = 0; steps === 'trial' ? more > 0 && step < 2000 : step < steps; step++) {
          losses.push((await session.step(batch(step % 8), { learningRate: 0.01 })).loss);
          if (session.info.waitTrials?.trials) more -= 1;
        }
        return { losses, state: await session.readState(), info: { ...session.info } };
      } finally {
        await session.release();
      }
    };
    const auto = await train({ threads: 2 }, 'trial');
    // the first trial ended; its verdict follows from its medians
    const trial = auto.info.waitTrials!;
    assert.equal(trial.trials, 1);
    assert.ok(trial.sleepingMs! > 0 && trial.spinningMs! > 0);
    assert.equal(auto.info.spinWait, trial.spinningMs! < SPIN_MARGIN * trial.sleepingMs!);
    // the steps moved between the two sessions, the state with them: the same numbers
    const sleeping = await train({ spinWait: false, threads: 2 }, auto.losses.length);
    assert.equal(sleeping.info.spinWait, false);
    assert.equal(sleeping.info.waitTrials, null);
    assert.deepEqual(auto.losses, sleeping.losses);
    for (const [name, values] of sleeping.state) assert.deepEqual(auto.state.get(name), values, name);
    // one thread has no idle threads to wait: no trial
    const single = await train({ threads: 1 }, 40);
    assert.equal(single.info.waitTrials, null);
    assert.equal(single.info.spinWait, false);
  });

  test('when the spinning session cannot open, the trials stop and training goes on with sleeping threads', async () => {
    const model = buildModel(6);
    const graph = buildTrainingGraph(model);
    const initial = readTrainingState(model, graph);
    const cpu = nodeTrainingBackend('cpu');
    const asked: boolean[] = [];
    // the one failure this test cannot cause for real (a second session of a graph that just opened)
    const refusing: typeof cpu = {
      ...cpu,
      async open(bytes, options) {
        asked.push(options.spinWait === true);
        if (options.spinWait === true) throw new Error('out of memory for a second session');
        return cpu.open(bytes, options);
      },
    };
    const losses = async (session: CoreTrainingSession) => {
      const values: number[] = [];
      try {
        for (let step = 0; step < 12; step++)
          values.push((await session.step(batch(step % 8), { learningRate: 0.01 })).loss);
      } finally {
        await session.release();
      }
      return values;
    };
    const session = await CoreTrainingSession.create(graph, initial, refusing, { threads: 2 });
    const trained = await losses(session);
    assert.deepEqual(asked, [false, true], 'one try at the spinning session, at the first trial step');
    assert.equal(session.info.waitTrials, null);
    assert.equal(session.info.spinWait, false);
    const sleeping = await losses(
      await TrainingSession.open(graph, initial, { threads: 2, spinWait: false }),
    );
    assert.deepEqual(trained, sleeping);
  });

  test('one training session per process; bad batches and states are refused with the value named', async () => {
    const model = buildModel(3);
    const graph = buildTrainingGraph(model);
    const state = readTrainingState(model, graph);
    const session = await TrainingSession.open(graph, state);
    try {
      await assert.rejects(
        TrainingSession.open(graph, state),
        /a training session is already open in this process; release\(\) it first/,
      );
      await assert.rejects(
        session.step(
          { images: new Float32Array(10), labels: new Int32Array(1), count: 1 },
          { learningRate: 0.1 },
        ),
        /'batch.images' must be a Float32Array of 1 × 784 values, got 10/,
      );
      await assert.rejects(
        session.step({ ...batch(0), labels: new Float32Array(16) }, { learningRate: 0.1 }),
        /'batch.labels' must be an Int32Array of class indices/,
      );
      await assert.rejects(
        session.step(batch(0), { learningRate: Number.NaN }),
        /'learningRate' must be a finite number/,
      );
      assert.throws(
        () => session.writeState(new Map([['nope', new Float32Array(1)]])),
        /carries no tensor named 'nope'/,
      );
      assert.throws(
        () => session.writeState(new Map([[graph.state[0]!.name, new Float32Array(1)]])),
        /must be a Float32Array of 36 values/,
      );
    } finally {
      await session.release();
    }
    const partial = new Map([...state].slice(1));
    await assert.rejects(
      TrainingSession.open(graph, partial),
      /the state has no value for '.*\/kernel' \(parameter\)/,
    );
    await assert.rejects(
      TrainingSession.open(graph, state, { device: 'webgpu' }),
      /'device' must be cpu or cuda in Node, got 'webgpu'/,
    );
    await assert.rejects(
      TrainingSession.open(graph, state, { spinWait: 'sometimes' as never }),
      /'spinWait' must be true, false or 'auto', got sometimes/,
    );
    const reopened = await TrainingSession.open(graph, state);
    await reopened.release();
    await assert.rejects(reopened.step(batch(0), { learningRate: 0.1 }), /was released/);
  });

  test("device 'cuda' without its provider fails with the words inference uses", async (t) => {
    const reason = cudaUnavailableReason();
    if (reason === null) {
      t.skip('the CUDA provider is installed here');
      return;
    }
    const model = buildModel(4);
    const graph = buildTrainingGraph(model);
    let trainingMessage = '';
    await assert.rejects(
      TrainingSession.open(graph, readTrainingState(model, graph), { device: 'cuda' }),
      (error: Error) => {
        trainingMessage = error.message;
        return error instanceof DeviceUnavailableError;
      },
    );
    const inference = await Classifier.load(graph.bytes, { device: 'cuda' }).catch(
      (error: Error) => error.message,
    );
    assert.equal(trainingMessage, inference);
    assert.match(trainingMessage, /^device cuda cannot run the model: .*run `cnnx setup cuda`/);
  });
});
