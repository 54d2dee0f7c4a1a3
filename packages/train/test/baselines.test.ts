import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  BASELINE_NAMES,
  BASELINES,
  type BaselineProgress,
  describeSvcEstimate,
  estimateSvc,
  fitRandomForest,
  parseBaselineNames,
  stratifiedSample,
  svcGamma,
  trainBaseline,
  trainSvc,
} from '../src/baselines/index.js';
import { initBackend } from '../src/index.js';
import type { ImageSet } from '../src/types.js';

/**
 * 8×8 images of four classes: class k lights columns 2k and 2k + 1 by `signal` grey levels (plus seeded
 * noise of `noise` levels), so a linear model separates them while the noise is small.
 */
function bars(count: number, seed: number, noise = 90, signal = 160): ImageSet {
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
      images[index * 64 + pixel] = Math.min(255, Math.round((lit ? signal : 0) + random() * noise));
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
    it(`${name} learns linearly separable bars and reports its progress`, async () => {
      const progress: BaselineProgress[] = [];
      const result = await trainBaseline(name, train, test, {
        epochs: 15,
        batchSize: 32,
        onProgress: (step) => progress.push(step),
      });
      assert.equal(result.name, name);
      assert.equal(result.description, BASELINES[name].description);
      assert.equal(result.predicted.length, test.count);
      assert.ok(result.accuracy >= 0.95, `${name} accuracy ${result.accuracy}`);
      assert.ok(result.trainSeconds >= 0 && result.predictSeconds >= 0);
      const training = progress.filter((step) => step.phase === 'train');
      const predicting = progress.filter((step) => step.phase === 'predict');
      const expected = {
        'logistic-regression': { parameters: 64 * 4 + 4, unit: 'epochs', steps: 15 },
        svc: { parameters: null, unit: 'class pairs', steps: 6 },
        'random-forest': { parameters: null, unit: 'trees', steps: 100 },
        knn: { parameters: 0, unit: null, steps: 0 },
        mlp: { parameters: 64 * 128 + 128 + 128 * 4 + 4, unit: 'epochs', steps: 15 },
      }[name];
      if (expected.parameters !== null) assert.equal(result.parameters, expected.parameters);
      else assert.ok(result.parameters > 0);
      assert.deepEqual(
        training.map((step) => step.done),
        Array.from({ length: expected.steps }, (_, index) => index + 1),
      );
      for (const step of training) assert.deepEqual([step.unit, step.total], [expected.unit, expected.steps]);
      if (name === 'svc' || name === 'knn') {
        assert.deepEqual(predicting.at(-1), {
          name,
          phase: 'predict',
          done: test.count,
          total: test.count,
          unit: 'test images',
        });
      }
      assert.equal(result.trainImagesPerSecond === null, name === 'knn');
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
      /expected one of logistic-regression, svc, random-forest, knn, mlp/,
    );
    await assert.rejects(
      trainBaseline('knn', train, { ...test, images: test.images.subarray(1) }),
      /'test' has 5119 bytes for 80 images; expected 64 bytes per image/,
    );
  });
});

describe('parseBaselineNames', () => {
  it('reads a list in the order given, and the flag alone as all of them', () => {
    assert.deepEqual(parseBaselineNames('svc,knn'), ['svc', 'knn']);
    assert.deepEqual(parseBaselineNames(' knn , svc,knn '), ['knn', 'svc']);
    assert.deepEqual(parseBaselineNames(true), ['logistic-regression', 'svc', 'random-forest', 'knn', 'mlp']);
  });

  it('names the unknown ones and lists the choices', () => {
    assert.throws(
      () => parseBaselineNames('svc,forest,linear-svm'),
      new RangeError(
        "unknown baseline 'forest', 'linear-svm'; expected a comma-separated list of logistic-regression, svc, random-forest, knn, mlp",
      ),
    );
    assert.throws(
      () => parseBaselineNames(' , '),
      /^RangeError: no baseline; expected a comma-separated list/,
    );
  });
});

describe('the SVC', () => {
  it("computes scikit-learn's gamma = 'scale' from the pixels in [0, 1]", () => {
    const set = bars(50, 3);
    const pixels = Array.from(set.images, (value) => value / 255);
    const mean = pixels.reduce((sum, value) => sum + value, 0) / pixels.length;
    const variance = pixels.reduce((sum, value) => sum + (value - mean) ** 2, 0) / pixels.length;
    assert.ok(Math.abs(svcGamma(set) - 1 / (64 * variance)) < 1e-12 * svcGamma(set));
  });

  it("gives the same predictions as libsvm-js's own train() on every pixel, zeros included", async () => {
    // Noisy bars, so that some test images are near the boundaries and the comparison means something.
    const noisyTrain = bars(400, 4, 200, 30);
    const noisyTest = bars(200, 5, 200, 30);
    const ours = await trainSvc(noisyTrain, noisyTest);
    // libsvm-js's own API, in a child process (loading it changes the process's handlers), on dense
    // rows in [0, 1] sorted by label like ours.
    const require = createRequire(import.meta.url);
    const script = `
      const [train, labels, test] = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
      delete globalThis.fetch;
      require(${JSON.stringify(require.resolve('libsvm-js'))}).then((SVM) => {
        const svm = new SVM({ type: SVM.SVM_TYPES.C_SVC, kernel: SVM.KERNEL_TYPES.RBF, gamma: ${ours.gamma}, cost: 1, quiet: true });
        svm.train(train, labels);
        process.stdout.write(JSON.stringify({ predicted: svm.predict(test), supportVectors: svm.getSVIndices().length }));
      });`;
    const rows = (set: ImageSet, order: number[]) =>
      order.map((image) =>
        Array.from(set.images.subarray(image * 64, (image + 1) * 64), (value) => value / 255),
      );
    const trainOrder = Array.from({ length: noisyTrain.count }, (_, image) => image).sort(
      (a, b) => (noisyTrain.labels[a] as number) - (noisyTrain.labels[b] as number) || a - b,
    );
    const testOrder = Array.from({ length: noisyTest.count }, (_, image) => image);
    const input = JSON.stringify([
      rows(noisyTrain, trainOrder),
      trainOrder.map((image) => noisyTrain.labels[image]),
      rows(noisyTest, testOrder),
    ]);
    const child = promisify(execFile)(process.execPath, ['-e', script], { maxBuffer: 1 << 24 });
    child.child.stdin?.end(input);
    const theirs = JSON.parse((await child).stdout) as { predicted: number[]; supportVectors: number };
    assert.equal(ours.supportVectors, theirs.supportVectors);
    assert.deepEqual([...ours.predicted], theirs.predicted);
    const correct = theirs.predicted.filter((label, image) => label === noisyTest.labels[image]).length;
    assert.ok(
      correct > 0.4 * noisyTest.count && correct < 0.95 * noisyTest.count,
      `the noise makes some test images wrong (${correct} of ${noisyTest.count} right), so agreement means something`,
    );
  });

  it('estimates its time from a probe, with a --baseline-limit when the budget is short', async () => {
    const large = bars(3000, 6, 200);
    const short = await estimateSvc(large, bars(500, 7, 200), { budgetSeconds: 0.001 });
    assert.ok(Math.abs(short.probeImages - 2000) <= 4, `probe of ${short.probeImages}`);
    assert.ok(short.seconds > 0 && short.probeSeconds > 0);
    assert.equal(short.trainImages, 3000);
    // Nothing fits in a millisecond: the suggestion falls back to the probe's size, with its own estimate.
    assert.equal(short.suggestedLimit, short.probeImages);
    assert.ok((short.suggestedSeconds ?? 0) > 0 && (short.suggestedSeconds ?? 0) < short.seconds);
    assert.match(
      describeSvcEstimate(short),
      /^svc: about \d+ s to train on 3,000 images and predict 500 \(a probe on 2,00\d took \d+\.\d s\); --baseline-limit 2\d{3} takes about \d+ s$/,
    );
    const ample = await estimateSvc(large, bars(500, 7, 200), { budgetSeconds: 3600 });
    assert.equal(ample.suggestedLimit, null);
    assert.doesNotMatch(describeSvcEstimate(ample), /baseline-limit/);
  });
});

describe('fitRandomForest', () => {
  it("splits at scikit-learn's midpoint between the values it saw", async () => {
    // One pixel: ten images at 10 (class 0), ten at 20 (class 1). The threshold is 15: 15 → 0, 16 → 1.
    const images = new Uint8Array(20).map((_, index) => (index < 10 ? 10 : 20));
    const labels = new Uint8Array(20).map((_, index) => (index < 10 ? 0 : 1));
    const forest = await fitRandomForest({
      images,
      labels,
      shape: [1, 1, 1],
      count: 20,
      classNames: ['a', 'b'],
    });
    assert.deepEqual([...forest.predict(new Uint8Array([0, 14, 15, 16, 255]), 5)], [0, 0, 0, 1, 1]);
    assert.equal(forest.trees, 100);
  });

  it('is seeded: the same seed grows the same forest, another seed another one', async () => {
    const noisy = bars(300, 8, 200);
    const probe = bars(100, 9, 200);
    const [first, again, other] = await Promise.all(
      [1, 1, 2].map((seed) => fitRandomForest(noisy, { trees: 10, seed })),
    );
    const predictions = [first, again, other].map((forest) => [
      ...(forest?.predict(probe.images, 100) ?? []),
    ]);
    assert.deepEqual(predictions[0], predictions[1]);
    assert.equal(first?.nodes, again?.nodes);
    assert.notEqual(first?.nodes, other?.nodes);
  });

  it('refuses a tree count that is not a positive integer', async () => {
    await assert.rejects(fitRandomForest(bars(10, 1), { trees: 0 }), /'trees' is 0; expected an integer ≥ 1/);
  });
});

describe('stratifiedSample', () => {
  it('keeps each class in proportion and the set itself when it is small enough', () => {
    const set = bars(1000, 10);
    const sample = stratifiedSample(set, 100, 42);
    assert.equal(sample.count, 100);
    assert.deepEqual(
      [0, 1, 2, 3].map((label) => sample.labels.filter((value) => value === label).length),
      [25, 25, 25, 25],
    );
    assert.equal(sample.images.length, 100 * 64);
    assert.equal(stratifiedSample(set, 1000, 42), set);
    assert.throws(() => stratifiedSample(set, 0, 42), /'limit' is 0; expected an integer ≥ 1/);
  });
});
