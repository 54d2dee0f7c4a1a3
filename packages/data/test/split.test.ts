import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom, stratifiedSample, stratifiedSplit, subset } from '../src/index.js';
import type { Dataset } from '../src/types.js';

function labelsWithCounts(counts: number[]): Uint8Array {
  const labels: number[] = [];
  counts.forEach((count, label) => {
    for (let i = 0; i < count; i += 1) labels.push(label);
  });
  // interleave deterministically so class members are spread out
  return createRandom(7).shuffle(new Uint8Array(labels));
}

describe('createRandom', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = createRandom(3);
    const b = createRandom(3);
    const c = createRandom(4);
    const first = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(
      first,
      Array.from({ length: 5 }, () => b.next()),
    );
    assert.notDeepEqual(
      first,
      Array.from({ length: 5 }, () => c.next()),
    );
    for (const value of first) assert.ok(value >= 0 && value < 1);
  });

  it('draws integers roughly uniformly', () => {
    const random = createRandom(11);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i += 1) counts[random.integer(10)] += 1;
    for (const count of counts) assert.ok(Math.abs(count - 10_000) < 500, `count ${count}`);
  });
});

describe('stratifiedSplit', () => {
  it('keeps each class share, covers every index once and is seeded', () => {
    const labels = labelsWithCounts([100, 50, 30]);
    const { train, test } = stratifiedSplit(labels, 0.2, 42);
    assert.equal(train.length + test.length, labels.length);
    const seen = new Set([...train, ...test]);
    assert.equal(seen.size, labels.length);
    const testPerClass = [0, 0, 0];
    for (const index of test) testPerClass[labels[index]!]! += 1;
    assert.deepEqual(testPerClass, [20, 10, 6]);
    assert.deepEqual(stratifiedSplit(labels, 0.2, 42).test, test);
    assert.notDeepEqual(stratifiedSplit(labels, 0.2, 43).test, test);
  });

  it('rejects a fraction outside 0..1 naming the argument', () => {
    assert.throws(() => stratifiedSplit(new Uint8Array(4), 1.5, 1), /'testFraction'.*1\.5/);
  });
});

describe('stratifiedSample', () => {
  it('gives exactly the count asked for, even 5 of a balanced 60,000 (a split by fraction gives 0)', () => {
    const balanced = labelsWithCounts(new Array(10).fill(6000));
    assert.equal(stratifiedSplit(balanced, 1 - 5 / balanced.length, 44).train.length, 0);
    for (const count of [0, 1, 5, 9, 10, 11, 999, 60_000]) {
      const chosen = stratifiedSample(balanced, count, 44);
      assert.equal(chosen.length, count);
      assert.equal(new Set(chosen).size, count, 'no index twice');
      assert.ok(
        chosen.every((index, i) => i === 0 || index > chosen[i - 1]!),
        'ascending',
      );
      const perClass = new Array<number>(10).fill(0);
      for (const index of chosen) perClass[balanced[index]!]! += 1;
      assert.ok(Math.max(...perClass) - Math.min(...perClass) <= 1, `${count}: ${perClass}`);
    }
    assert.deepEqual(stratifiedSample(balanced, 50, 1), stratifiedSample(balanced, 50, 1));
    assert.notDeepEqual(stratifiedSample(balanced, 50, 1), stratifiedSample(balanced, 50, 2));
  });

  it('keeps class shares of an unbalanced set and refuses a count it cannot give', () => {
    const labels = labelsWithCounts([700, 200, 100]);
    const perClass = new Array<number>(3).fill(0);
    for (const index of stratifiedSample(labels, 100, 3)) perClass[labels[index]!]! += 1;
    assert.deepEqual(perClass, [70, 20, 10]);
    assert.throws(
      () => stratifiedSample(labels, 1001, 3),
      /'count' must be an integer from 0 to 1000, got 1001/,
    );
  });
});

describe('subset', () => {
  it('copies the chosen images and labels in order', () => {
    const dataset: Dataset = {
      images: new Uint8Array([1, 1, 2, 2, 3, 3]),
      labels: new Uint8Array([0, 1, 0]),
      classNames: ['a', 'b'],
      shape: [1, 2, 1],
      count: 3,
      source: { spec: 'test', files: [] },
    };
    const chosen = subset(dataset, [2, 0]);
    assert.deepEqual([...chosen.images], [3, 3, 1, 1]);
    assert.deepEqual([...chosen.labels], [0, 0]);
    assert.equal(chosen.count, 2);
    assert.throws(() => subset(dataset, [3]), /'indices\[0\]' is 3/);
  });
});
