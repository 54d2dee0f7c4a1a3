import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rankClasses } from '../src/core/rank.js';

describe('rankClasses (pure)', () => {
  test('lists the top k best first, with labels, indices and probabilities', () => {
    const result = rankClasses(Float32Array.of(0.1, 0.6, 0.05, 0.25), ['a', 'b', 'c', 'd'], 3);
    assert.deepEqual(
      result.top.map(({ label, index }) => [label, index]),
      [
        ['b', 1],
        ['d', 3],
        ['a', 0],
      ],
    );
    assert.equal(result.label, 'b');
    assert.equal(result.probability, Math.fround(0.6));
  });

  test('ties keep the lower index first; k beyond the classes lists them all; a missing name is the index', () => {
    const result = rankClasses([0.25, 0.25, 0.5, 0], ['x', 'y'], 10);
    assert.deepEqual(
      result.top.map((entry) => entry.label),
      ['2', 'x', 'y', '3'],
    );
    assert.throws(() => rankClasses([], [], 1), /'probabilities' is empty/);
  });
});
