import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { BASELINE_NAMES, trainBaseline } from '../src/baselines/index.js';
import { initBackend } from '../src/index.js';
import type { ImageSet } from '../src/types.js';

/** 8×8 images of four classes: class k lights column 2k (plus seeded noise), so a linear model separates them. */
function bars(count: number, seed: number): ImageSet {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 4_294_967_296;
  };
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    const label = index % 4;
    labels[index] = label;
    for (let pixel = 0; pixel < 64; pixel++) {
      const lit = pixel % 8 === 2 * label || pixel % 8 === 2 * label + 1;
      images[index * 64 + pixel] = Math.round((lit ? 160 : 0) + random() * 90);
    }
  }
  return { images, labels, shape: [8, 8, 1], count, classNames: ['a', 'b', 'c', 'd'] };
}

describe('trainBaseline', () => {
  before(async () => {
    await initBackend('cpu');
  });
  const train = bars(240, 1);
  const test = bars(80, 2);

  for (const name of BASELINE_NAMES) {
    it(`${name} learns linearly separable bars`, async () => {
      const result = await trainBaseline(name, train, test, { epochs: 15, batchSize: 32 });
      assert.equal(result.name, name);
      assert.equal(result.predicted.length, test.count);
      assert.ok(result.accuracy >= 0.95, `${name} accuracy ${result.accuracy}`);
      assert.ok(result.trainSeconds >= 0 && result.predictSeconds >= 0);
      const expectedParameters = {
        'logistic-regression': 64 * 4 + 4,
        mlp: 64 * 128 + 128 + 128 * 4 + 4,
        knn: 0,
        'linear-svm': 64 * 4 + 4,
      };
      assert.equal(result.parameters, expectedParameters[name]);
    });
  }

  it('k-NN votes among the 3 nearest and breaks ties toward the smallest class', async () => {
    // One-pixel "images" (1×1): training points at 0, 10, 20 (classes 2, 1, 0) and 250 (class 3).
    const points: ImageSet = {
      images: new Uint8Array([0, 10, 20, 250]),
      labels: new Uint8Array([2, 1, 0, 3]),
      shape: [1, 1, 1],
      count: 4,
      classNames: ['a', 'b', 'c', 'd'],
    };
    const queries: ImageSet = {
      ...points,
      images: new Uint8Array([5, 240]),
      labels: new Uint8Array([0, 0]),
      count: 2,
    };
    const result = await trainBaseline('knn', points, queries, { k: 3 });
    // Query 5: neighbours 0, 10, 20 → one vote each for 2, 1, 0 → class 0. Query 240: 250, 20, 10 → 3, 0, 1 → 0.
    assert.deepEqual([...result.predicted], [0, 0]);
    const one = await trainBaseline('knn', points, queries, { k: 1 });
    assert.deepEqual([...one.predicted], [2, 3]);
  });

  it('refuses an unknown baseline and mismatched image sizes', async () => {
    await assert.rejects(
      trainBaseline('forest' as never, train, test),
      /expected one of logistic-regression, mlp, knn, linear-svm/,
    );
    await assert.rejects(
      trainBaseline('knn', train, { ...test, images: test.images.subarray(1) }),
      /'test' has 5119 bytes for 80 images; expected 64 bytes per image/,
    );
  });
});
