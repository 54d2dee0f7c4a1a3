// The onnxruntime training engine inside @cnnx/train's loop (trainModel), in one process: @cnnx/testing's
// residual spec (convs with strides 1-2, Add, max pooling, dropout), a checkpoint
// taken mid-epoch and resumed on a model loaded back in the same process (whose tfjs variables get new
// names), and the weights written back into the tfjs model.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Dataset, loadDataset, parseInputScale, scaleTable, stratifiedSplit, subset } from '@cnnx/data';
import { RESIDUAL_SPEC_FILE } from '@cnnx/testing';
import {
  buildModel,
  type EngineBatch,
  engineSettingsOf,
  evaluateModel,
  evaluateOnEngine,
  initBackend,
  loadCheckpoint,
  type ModelSpec,
  readModelSpec,
  saveCheckpoint,
  type TrainingEngine,
  type TrainModelOptions,
  trainModel,
} from '@cnnx/train';
import { onnxruntimeTrainingEngine } from '../src/training/register.js';

/** The shared small residual net (@cnnx/testing), read as a user's spec file is. */
let residual: ModelSpec;

// batch norm after a conv and after a dense layer, and dropout: inference mode differs from training mode
const normalized: ModelSpec = {
  inputs: ['image'],
  layers: [
    { type: 'conv2d', name: 'conv', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
    { type: 'batchNormalization', name: 'conv_bn', momentum: 0.5 },
    { type: 'activation', name: 'conv_relu', activation: 'relu' },
    { type: 'dropout', name: 'drop', rate: 0.3 },
    { type: 'flatten', name: 'flat' },
    { type: 'dense', name: 'hidden', units: 16 },
    { type: 'batchNormalization', name: 'hidden_bn', momentum: 0.5 },
    { type: 'activation', name: 'hidden_relu', activation: 'relu' },
    { type: 'dense', name: 'out', units: 'classes', activation: 'softmax' },
  ],
  outputs: ['out'],
};

/** Images `start..end` of `set` as the loop feeds them: bytes scaled to [0, 1], NHWC floats. */
function batchOf(set: Dataset, start: number, end: number): EngineBatch {
  const table = scaleTable(parseInputScale('unit'));
  const pixels = set.shape.reduce((product, size) => product * size, 1);
  const images = new Float32Array((end - start) * pixels);
  for (let index = 0; index < images.length; index += 1)
    images[index] = table[set.images[start * pixels + index]!]!;
  return { images, labels: Int32Array.from(set.labels.subarray(start, end)), count: end - start };
}

let train: Dataset;
let validation: Dataset;
let scratch: string;
const build = () => buildModel(residual, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
const options: TrainModelOptions = {
  epochs: 2,
  batchSize: 32,
  seed: 3,
  learningRate: 0.01,
  engine: onnxruntimeTrainingEngine,
  engineOptions: { threads: 1 },
};

before(async () => {
  await initBackend('cpu'); // tfjs only builds, evaluates and saves here
  residual = await readModelSpec(RESIDUAL_SPEC_FILE);
  const digits = await loadDataset('mnist-sample');
  validation = subset(digits, stratifiedSplit(digits.labels, 0.01, 5).test);
  train = subset(digits, stratifiedSplit(digits.labels, 256 / digits.count, 6).test);
  scratch = await mkdtemp(join(tmpdir(), 'cnnx-training-engine-'));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('trainModel on the onnxruntime engine', () => {
  test('learns, and the tfjs model holds the trained weights at the end', async () => {
    const model = build();
    const result = await trainModel(model, { train, validation }, options);
    const [first, second] = result.history;
    assert.ok(second!.loss < first!.loss, `loss fell: ${first!.loss} → ${second!.loss}`);
    // the validation of the last epoch ran on the tfjs model after the weights came back
    const measured = evaluateModel(model, validation);
    assert.ok(Math.abs(measured.loss - second!.valLoss!) < 1e-6, `${measured.loss} vs ${second!.valLoss}`);
    assert.ok(measured.accuracy > 0.2, `validation accuracy ${measured.accuracy} beats chance`);
    model.dispose();
  });

  test('four batches a call (the looped graph) give the history of one batch a call', async () => {
    const grouped = build();
    const reference = await trainModel(grouped, { train, validation }, options);
    grouped.dispose();
    // the same engine, its steps hidden: the loop hands it one batch at a time
    const oneByOne: TrainingEngine = {
      ...onnxruntimeTrainingEngine,
      async open(model, settings, engineOptions) {
        const stepper = await onnxruntimeTrainingEngine.open(model, settings, engineOptions);
        assert.equal(stepper.stepsPerCall, 4, 'the engine takes four batches a call on the CPU');
        const { steps: _hidden, ...rest } = stepper;
        return rest;
      },
    };
    const single = build();
    let calls = 0;
    const alone = await trainModel(
      single,
      { train, validation },
      {
        ...options,
        engine: oneByOne,
        onBatchEnd: () => {
          calls += 1;
        },
      },
    );
    single.dispose();
    assert.equal(calls, 16, 'a batch-end call per batch');
    alone.history.forEach((logs, index) => {
      const expected = reference.history[index]!;
      assert.ok(
        Math.abs(logs.loss - expected.loss) <= 1e-6 * expected.loss,
        `epoch ${index + 1} loss ${logs.loss} vs ${expected.loss}`,
      );
      assert.equal(logs.accuracy, expected.accuracy, `epoch ${index + 1} accuracy`);
      assert.ok(Math.abs(logs.valLoss! - expected.valLoss!) <= 1e-6, `epoch ${index + 1} val_loss`);
    });
  });

  test('a checkpoint taken mid-epoch resumes in the same process with the uninterrupted history', async () => {
    const straight = build();
    const reference = await trainModel(straight, { train, validation }, options);
    straight.dispose();

    const dir = join(scratch, 'checkpoint');
    const interrupted = build();
    let batches = 0;
    const partial = await trainModel(
      interrupted,
      { train, validation },
      {
        ...options,
        onBatchEnd: () => {
          batches += 1;
        },
        // epoch 2, batch 3 of 8; the engine takes its batches four at a time, so it stops after batch 4
        shouldStop: () => batches >= 11,
        onCheckpoint: (state, optimizer) => saveCheckpoint(dir, interrupted, optimizer, state, null),
      },
    );
    interrupted.dispose();
    assert.equal(partial.stopReason, 'interrupted');
    assert.deepEqual([partial.state.epochsDone, partial.state.batchesDone], [1, 4]);

    const { model, resume } = await loadCheckpoint(dir);
    const [iter] = resume.optimizerWeights;
    assert.equal(iter!.tensor.dataSync()[0], 12, "the checkpoint's step count");
    const resumed = await trainModel(model, { train, validation }, { ...options, resume });
    model.dispose();
    assert.equal(resumed.history.length, 2);
    resumed.history.forEach((logs, index) => {
      const expected = reference.history[index]!;
      assert.ok(
        Math.abs(logs.loss - expected.loss) < 1e-5,
        `epoch ${index + 1} loss ${logs.loss} vs ${expected.loss}`,
      );
      assert.ok(Math.abs(logs.valLoss! - expected.valLoss!) < 1e-5, `epoch ${index + 1} val_loss`);
    });
  });
});

describe('the onnxruntime engine validates in inference mode', () => {
  test('its loss and correct count equal tfjs evaluateModel on the same weights (batch norm, dropout, label smoothing)', async () => {
    const model = buildModel(normalized, { inputShape: [28, 28, 1], numClasses: 10, seed: 4 });
    const labelSmoothing = 0.1;
    const stepper = await onnxruntimeTrainingEngine.open(model, engineSettingsOf({ labelSmoothing }), {
      threads: 1,
    });
    try {
      // steps move the weights and the moving statistics away from where the tfjs model starts
      for (let step = 0; step < 6; step += 1) {
        await stepper.step(batchOf(train, step * 32, step * 32 + 32), { learningRate: 0.01, seed: step + 1 });
      }
      assert.ok(stepper.predict, 'the onnxruntime stepper predicts');
      // two uneven batches, and no syncWeights before: predict reads the weights the steps left
      const split = 37;
      const measured = await evaluateOnEngine(
        stepper,
        [batchOf(validation, 0, split), batchOf(validation, split, validation.count)],
        10,
        labelSmoothing,
      );
      await stepper.syncWeights();
      const reference = evaluateModel(model, validation, labelSmoothing);
      assert.equal(measured.count, validation.count);
      assert.equal(
        measured.correct,
        Math.round(reference.accuracy * validation.count),
        'correct predictions',
      );
      const relative = Math.abs(measured.loss - reference.loss) / reference.loss;
      assert.ok(relative < 1e-5, `loss ${measured.loss} vs tfjs ${reference.loss} (relative ${relative})`);
    } finally {
      await stepper.close();
      model.dispose();
    }
  });
});
