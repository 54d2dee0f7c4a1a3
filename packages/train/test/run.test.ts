import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  loadRunData,
  parseAugmentation,
  readRunConfig,
  runConfig,
  scheduleOf,
  trainOptionsOf,
} from '../src/index.js';

describe('a run configuration', () => {
  test('a preset brings its measured settings; what is asked wins; presetDefaults: false keeps the plain defaults', () => {
    const best = runConfig({ dataset: 'mnist-sample', model: 'best' });
    assert.equal(best.epochs, 10);
    assert.equal(best.learningRate, 0.002);
    assert.deepEqual(best.schedule, { type: 'cosine' });
    assert.equal(best.augment, true);
    const asked = runConfig({
      dataset: 'mnist-sample',
      model: 'best',
      epochs: 1,
      optimizer: 'sgd',
      schedule: 'step',
    });
    assert.equal(asked.epochs, 1);
    assert.equal(asked.learningRate, undefined, "the preset's rate was measured with Adam only");
    assert.deepEqual(asked.schedule, scheduleOf('step'));
    const plain = runConfig({ dataset: 'mnist-sample', model: 'best' }, { presetDefaults: false });
    assert.deepEqual([plain.epochs, plain.learningRate, plain.augment], [5, undefined, false]);
    assert.deepEqual(trainOptionsOf(best).augment, { shift: 2, rotate: 10, zoom: 0.1 });
  });

  test('a checkpoint written before this module existed reads back unchanged (augment: true, no learningRate)', () => {
    const saved = {
      dataset: 'mnist-sample',
      model: 'best',
      modelSpec: null,
      epochs: 3,
      batchSize: 32,
      optimizer: 'sgd',
      nesterov: false,
      schedule: { type: 'constant' },
      loss: 'sparse-categorical-crossentropy',
      labelSmoothing: 0,
      validationSplit: 0.1,
      earlyStopping: null,
      augment: true,
      limit: null,
      seed: 7,
    };
    const config = readRunConfig(JSON.parse(JSON.stringify(saved)));
    assert.deepEqual({ ...config }, { ...saved, learningRate: undefined, momentum: undefined });
    assert.throws(() => readRunConfig({ model: 'best' }), /lacks dataset, epochs, batchSize, seed/);
  });

  test('the augmentation syntax', () => {
    assert.deepEqual(parseAugmentation('shift,flip'), { shift: 2, flip: true });
    assert.deepEqual(parseAugmentation('rotate=15,zoom=0.2'), { rotate: 15, zoom: 0.2 });
    assert.throws(() => parseAugmentation('twist'), /'twist' is not an augmentation/);
    assert.throws(() => parseAugmentation('shift=9'), /shift=N with 0 < N ≤ 8/);
  });
});

describe('the images of a run', () => {
  test('holdout (the quickstart): limit the whole set, then hold out 15% and validate on it', async () => {
    const config = runConfig(
      { dataset: 'mnist-sample', model: 'tiny', limit: 600, test: 'holdout', validateOnTest: true },
      { presetDefaults: false },
    );
    const data = await loadRunData(config);
    assert.ok(Math.abs(data.train.count + (data.test?.count ?? 0) - 600) <= 5, 'about --limit images in all');
    assert.ok(Math.abs((data.test?.count ?? 0) - 90) <= 5);
    assert.equal(data.validation, data.test);
  });

  test('split (compare): test limited in proportion; none (train): a validation split of the training images', async () => {
    const compared = await loadRunData(
      runConfig({ dataset: 'mnist-sample', model: 'tiny', limit: 850, test: 'split', validationSplit: 0 }),
    );
    assert.ok(Math.abs(compared.train.count - 850) <= 10);
    assert.ok(Math.abs((compared.test?.count ?? 0) - 150) <= 10);
    assert.equal(compared.validation, undefined);
    const trained = await loadRunData(runConfig({ dataset: 'mnist-sample', model: 'tiny', limit: 1000 }));
    assert.ok(Math.abs(trained.train.count + (trained.validation?.count ?? 0) - 1000) <= 10);
    assert.ok(Math.abs((trained.validation?.count ?? 0) - 100) <= 10);
    assert.equal(trained.test, undefined);
  });
});
