import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Dataset, loadDataset, stratifiedSplit, subset } from '@cnnx/data';
import { RESIDUAL_SPEC_FILE } from '@cnnx/testing';
import {
  BACKEND_LADDER,
  type BackendName,
  buildModel,
  initBackend,
  loadCheckpoint,
  loadModel,
  ModelNotFoundError,
  type ModelSpec,
  NonFiniteLossError,
  predict,
  readManifest,
  readModelSpec,
  saveCheckpoint,
  saveModel,
  scheduledLearningRate,
  type TrainModelOptions,
  type TrainState,
  trainModel,
} from '../src/index.js';

/** The shared small residual net (@cnnx/testing), read as a user's spec file is. */
let residual: ModelSpec;

let digits: Dataset;
let validation: Dataset;
let scratch: string;

before(async () => {
  digits = await loadDataset('mnist-sample');
  residual = await readModelSpec(RESIDUAL_SPEC_FILE);
  validation = subset(digits, stratifiedSplit(digits.labels, 0.01, 5).test); // 100 images

  scratch = await mkdtemp(join(tmpdir(), 'cnnx-train-test-'));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Which backends load here, and why the others don't. */
async function probe(name: BackendName): Promise<string | null> {
  try {
    await initBackend(name);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** ~`count` training images, stratified (the pure-JS `cpu` backend is ~20× slower: it gets fewer). */
function trainingSet(count: number): Dataset {
  return subset(digits, stratifiedSplit(digits.labels, count / digits.count, 6).test);
}

const build = (seed = 1) => buildModel(residual, { inputShape: [28, 28, 1], numClasses: 10, seed });

for (const backend of BACKEND_LADDER) {
  describe(`training on ${backend}`, async () => {
    const unavailable = await probe(backend);
    const skip = unavailable ?? false;
    const size = backend === 'cpu' ? 64 : 256;
    const options: TrainModelOptions = { epochs: 2, batchSize: size / 8, seed: 3, learningRate: 0.01 };
    let train: Dataset;
    before(async () => {
      if (!unavailable) await initBackend(backend);
      train = trainingSet(size);
    });

    test('a residual spec learns, saves atomically and loads back with identical predictions', {
      skip,
    }, async () => {
      const model = build();
      const result = await trainModel(model, { train, validation }, options);
      assert.equal(result.history.length, 2);
      const [first, second] = result.history;
      assert.ok(second!.loss < first!.loss, `loss fell: ${first!.loss} → ${second!.loss}`);
      assert.ok(second!.valAccuracy! > 0.2, `validation accuracy ${second!.valAccuracy} beats chance (0.1)`);
      assert.ok(first!.imagesPerSecond > 0);

      const dir = join(scratch, `${backend}-model`);
      await saveModel(model, dir, { backend, history: result.history });
      await saveModel(model, dir, { backend, history: result.history }); // replaces the folder
      assert.deepEqual((await readdir(dir)).sort(), ['manifest.json', 'model.json', 'weights.bin']);
      assert.deepEqual(
        (await readdir(scratch)).filter((name) => name.includes('.tmp-') || name.includes('.old-')),
        [],
      );
      assert.deepEqual(((await readManifest(dir)) as { backend: string }).backend, backend);

      const loaded = await loadModel(dir);
      const expected = await predict(model, validation.images, validation.shape);
      const actual = await predict(loaded, validation.images, validation.shape, { batchSize: 7 });
      assert.equal(actual.length, validation.count * 10);
      for (let index = 0; index < expected.length; index += 1) {
        assert.ok(Math.abs(expected[index]! - actual[index]!) < 1e-6, `probability ${index}`);
      }
      model.dispose();
      loaded.dispose();
    });

    test('the same seed gives the same history; another seed a different one', { skip }, async () => {
      const run = async (seed: number) => {
        const model = build();
        const result = await trainModel(model, { train, validation }, { ...options, epochs: 1, seed });
        model.dispose();
        return result.history.map(({ loss, accuracy, valLoss }) => [loss, accuracy, valLoss]);
      };
      const first = await run(11);
      assert.deepEqual(await run(11), first);
      assert.notDeepEqual(await run(12), first);
    });

    test('a checkpoint resumed mid-epoch finishes with the uninterrupted history', { skip }, async () => {
      const straight = build();
      const reference = await trainModel(straight, { train, validation }, { ...options, optimizer: 'adam' });
      straight.dispose();

      const dir = join(scratch, `${backend}-checkpoint`);
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
          shouldStop: () => batches === 11, // epoch 2, batch 3 of 8 (~8 batches an epoch)
          onCheckpoint: (state: TrainState, optimizer) =>
            saveCheckpoint(dir, interrupted, optimizer, state, { note: 'test' }),
        },
      );
      interrupted.dispose();
      assert.equal(partial.stopReason, 'interrupted');
      assert.equal(partial.state.epochsDone, 1);
      assert.equal(partial.state.batchesDone, 3);

      const { model, resume, config } = await loadCheckpoint(dir);
      assert.deepEqual(config, { note: 'test' });
      const resumed = await trainModel(model, { train, validation }, { ...options, resume });
      model.dispose();
      assert.equal(resumed.stopReason, 'completed');
      assert.equal(resumed.history.length, 2);
      resumed.history.forEach((logs, index) => {
        const expected = reference.history[index]!;
        assert.ok(
          Math.abs(logs.loss - expected.loss) < 1e-4,
          `epoch ${index + 1} loss ${logs.loss} vs ${expected.loss}`,
        );
        assert.ok(Math.abs(logs.valLoss! - expected.valLoss!) < 1e-4, `epoch ${index + 1} val_loss`);
      });
    });

    test('sgd with Nesterov momentum and a step schedule lowers the rate per epoch', { skip }, async () => {
      const model = build();
      const result = await trainModel(
        model,
        { train },
        {
          ...options,
          optimizer: 'sgd',
          momentum: 0.9,
          nesterov: true,
          schedule: { type: 'step', everyEpochs: 1, factor: 0.5 },
        },
      );
      model.dispose();
      assert.deepEqual(
        result.history.map((logs) => logs.learningRate),
        [0.01, 0.005],
      );
      assert.equal(result.history[0]!.valLoss, undefined);
    });

    test('early stopping waits patience epochs, then restores the weights of the best epoch', {
      skip,
    }, async () => {
      const model = build();
      let firstEpochWeights: Float32Array[] = [];
      const result = await trainModel(
        model,
        { train, validation },
        {
          ...options,
          epochs: 5,
          // no later epoch can beat the first by 100: stops after 1 + patience epochs
          earlyStopping: { patience: 2, minDelta: 100, restoreBest: true },
          onEpochEnd: (logs) => {
            if (logs.epoch === 1)
              firstEpochWeights = model.getWeights().map((weight) => weight.dataSync() as Float32Array);
          },
        },
      );
      assert.equal(result.stopReason, 'early-stopping');
      assert.equal(result.history.length, 3);
      assert.equal(result.bestEpoch, 1);
      assert.deepEqual(
        model.getWeights().map((weight) => Array.from(weight.dataSync())),
        firstEpochWeights.map((values) => Array.from(values)),
      );
      model.dispose();
    });

    // Backend-independent bookkeeping: run where training is quick, not on the pure-JS cpu backend.
    const quickSkip = skip || (backend === 'cpu' ? 'covered on the faster backends' : false);
    test('restore-best survives a resume: the best weights travel in the checkpoint', {
      skip: quickSkip,
    }, async () => {
      const dir = join(scratch, `${backend}-early`);
      const early = { patience: 2, minDelta: 100, restoreBest: true };
      const model = build();
      let firstEpochWeights: number[][] = [];
      let epochsSeen = 0;
      const partial = await trainModel(
        model,
        { train, validation },
        {
          ...options,
          epochs: 5,
          earlyStopping: early,
          onEpochEnd: (logs) => {
            epochsSeen = logs.epoch;
            if (logs.epoch === 1)
              firstEpochWeights = model.getWeights().map((weight) => Array.from(weight.dataSync()));
          },
          shouldStop: () => epochsSeen === 2,
          onCheckpoint: (state, optimizer, best) => saveCheckpoint(dir, model, optimizer, state, null, best),
        },
      );
      model.dispose();
      assert.equal(partial.stopReason, 'interrupted');
      const { model: restored, resume } = await loadCheckpoint(dir);
      assert.equal(resume.bestWeights?.length, firstEpochWeights.length);
      const result = await trainModel(
        restored,
        { train, validation },
        { ...options, epochs: 5, earlyStopping: early, resume },
      );
      assert.equal(result.stopReason, 'early-stopping');
      assert.equal(result.history.length, 3);
      assert.deepEqual(
        restored.getWeights().map((weight) => Array.from(weight.dataSync())),
        firstEpochWeights,
      );
      restored.dispose();
    });

    test('a NaN loss stops training and suggests a lower learning rate', { skip }, async () => {
      const model = build();
      await assert.rejects(
        trainModel(model, { train }, { ...options, optimizer: 'sgd', learningRate: 1e30 }),
        (error: unknown) => error instanceof NonFiniteLossError && /lower learning rate/.test(error.message),
      );
      model.dispose();
    });
  });
}

describe('learning-rate schedules', () => {
  test('step halves every N epochs, cosine falls from the base toward the floor and still learns last', () => {
    const step = { type: 'step', everyEpochs: 2, factor: 0.5 } as const;
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((epoch) => scheduledLearningRate(step, 0.1, 0.1, epoch, 5)),
      [0.1, 0.1, 0.05, 0.05, 0.025],
    );
    const cosine = { type: 'cosine', minLearningRate: 0.01 } as const;
    const rates = [1, 2, 3, 4, 5].map((epoch) => scheduledLearningRate(cosine, 0.1, 0.1, epoch, 5));
    assert.equal(rates[0], 0.1);
    // base·(1 + cos(π·(e−1)/E))/2 above the floor: e = 3 of 5 → 0.01 + 0.09·(1 + cos 0.4π)/2
    assert.ok(Math.abs(rates[2]! - (0.01 + (0.09 * (1 + Math.cos(0.4 * Math.PI))) / 2)) < 1e-12);
    assert.ok(rates[4]! > 0.01 && rates[4]! < rates[3]!, `the last epoch learns: ${rates[4]}`);
    for (let i = 1; i < rates.length; i++) assert.ok(rates[i]! < rates[i - 1]!, 'falls every epoch');
  });
});

describe('argument checks', () => {
  test('bad options are refused before training, naming the option', async () => {
    await initBackend('cpu');
    const train = trainingSet(256);
    const tooMany = train.count + 1;
    const model = build();
    await assert.rejects(
      trainModel(model, { train }, { learningRate: 0 }),
      /'learningRate' must be a number > 0/,
    );
    await assert.rejects(
      trainModel(model, { train }, { batchSize: tooMany }),
      new RegExp(`'batchSize' ${tooMany} is larger than the training set \\(${train.count} images\\)`),
    );
    await assert.rejects(trainModel(model, { train }, { epochs: 0 }), /'epochs' must be an integer ≥ 1/);
    const wide = { ...train, shape: [32, 32, 1] as [number, number, number] };
    await assert.rejects(
      trainModel(model, { train: wide }),
      /expects input shape \[28, 28, 1\] but the training set has images of shape \[32, 32, 1\]/,
    );
    model.dispose();
  });

  test('loading a folder without a model names what was looked for', async () => {
    const empty = await mkdtemp(join(scratch, 'empty-'));
    await assert.rejects(
      loadModel(empty),
      (error: unknown) =>
        error instanceof ModelNotFoundError && error.message.includes(join(empty, 'model.json')),
    );
    await assert.rejects(loadCheckpoint(empty), /no checkpoint in .*checkpoint\.json/);
  });

  test('a forced backend that cannot load throws; auto falls back and reports why', async () => {
    const tensorflow = await probe('tensorflow');
    if (tensorflow === null) return; // tfjs-node is installed here: nothing to fall back from
    await assert.rejects(initBackend('tensorflow'), /backend "tensorflow" cannot load/);
    const auto = await initBackend('auto');
    assert.notEqual(auto.name, 'tensorflow');
    assert.equal(auto.skipped[0]?.name, 'tensorflow');
  });
});
