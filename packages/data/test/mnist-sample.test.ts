import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOLDOUT_FRACTION, HOLDOUT_SEED, loadDataset, stratifiedSplit, subset } from '../src/index.js';

describe("loadDataset('mnist-sample')", () => {
  it('returns the 10,000 embedded digits with their class counts and file hashes', async () => {
    const dataset = await loadDataset('mnist-sample');
    assert.equal(dataset.count, 10_000);
    assert.deepEqual(dataset.shape, [28, 28, 1]);
    assert.equal(dataset.images.length, 10_000 * 784);
    const perClass = new Array(10).fill(0);
    for (const label of dataset.labels) perClass[label] += 1;
    assert.deepEqual(perClass, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    assert.equal(dataset.source.files.length, 10);
    for (const file of dataset.source.files) assert.match(file.sha256, /^[0-9a-f]{64}$/);
    // real digits: ink is bright, most of the border is background
    let max = 0;
    for (let i = 0; i < 784; i += 1) max = Math.max(max, dataset.images[i]!);
    assert.ok(max > 200);
    assert.equal(dataset.images[0], 0);

    const test = await loadDataset('mnist-sample', { split: 'test' });
    const train = await loadDataset('mnist-sample', { split: 'train' });
    assert.equal(test.count + train.count, 10_000);
    assert.ok(Math.abs(test.count - 1_500) < 10, `a stratified 15% is held out, got ${test.count}`);
    assert.equal(test.source.split, 'test');
    // the held-out part is the quickstart's: stratifiedSplit(labels, 0.15, 42) on the whole set
    const parts = stratifiedSplit(dataset.labels, HOLDOUT_FRACTION, HOLDOUT_SEED);
    assert.deepEqual(test.labels, subset(dataset, parts.test).labels);
    const other = await loadDataset('mnist-sample', { split: 'test', seed: 7 });
    assert.notDeepEqual(other.images, test.images);
  });
});
