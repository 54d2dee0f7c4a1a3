import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  argmaxRows,
  confusionMatrix,
  evaluatePredictions,
  FLOAT32_EPSILON,
  formatClassificationReport,
  formatFixed,
  logLoss,
  topKAccuracy,
} from '../src/metrics/index.js';

const close = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

/** Rows that put `high` on the predicted class and spread the rest evenly. */
function probabilitiesFor(predicted: number[], classes: number, high = 0.8): Float32Array {
  const rows = new Float32Array(predicted.length * classes);
  predicted.forEach((guess, row) => {
    for (let column = 0; column < classes; column++) {
      rows[row * classes + column] = column === guess ? high : (1 - high) / (classes - 1);
    }
  });
  return rows;
}

describe('evaluatePredictions', () => {
  // Six images, five classes. Class 3 is never predicted (precision 0/0) and class 4 has neither
  // support nor predictions (every ratio 0/0): scikit-learn's zero_division="warn" reports 0.
  const labels = new Uint8Array([0, 0, 1, 1, 2, 3]);
  const probabilities = new Float32Array(
    [
      [0.7, 0.1, 0.1, 0.05, 0.05], // true 0, predicted 0
      [0.3, 0.6, 0.05, 0.05, 0], // true 0, predicted 1
      [0.1, 0.8, 0.05, 0.05, 0], // true 1, predicted 1
      [0.2, 0.5, 0.1, 0.1, 0.1], // true 1, predicted 1
      [0.6, 0.15, 0.05, 0.1, 0.1], // true 2, predicted 0; the true class is last: a top-3 miss
      [0.1, 0.1, 0.4, 0.3, 0.1], // true 3, predicted 2
    ].flat(),
  );
  const classNames = ['zero', 'one', 'two', 'three', 'four'];
  const metrics = evaluatePredictions(probabilities, labels, classNames);

  it('counts the confusion matrix with true classes as rows', () => {
    assert.deepEqual(metrics.confusionMatrix, [
      [1, 1, 0, 0, 0],
      [0, 2, 0, 0, 0],
      [1, 0, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    assert.equal(metrics.count, 6);
    close(metrics.accuracy, 3 / 6);
    close(metrics.top3Accuracy, 5 / 6);
  });

  it('gives per-class precision, recall, F1 and support, with 0 for zero divisions', () => {
    const expected = [
      { label: 'zero', precision: 1 / 2, recall: 1 / 2, f1: 1 / 2, support: 2 },
      { label: 'one', precision: 2 / 3, recall: 1, f1: 4 / 5, support: 2 },
      { label: 'two', precision: 0, recall: 0, f1: 0, support: 1 },
      { label: 'three', precision: 0, recall: 0, f1: 0, support: 1 },
      { label: 'four', precision: 0, recall: 0, f1: 0, support: 0 },
    ];
    assert.equal(metrics.perClass.length, expected.length);
    metrics.perClass.forEach((entry, index) => {
      const want = expected[index]!;
      assert.equal(entry.label, want.label);
      assert.equal(entry.support, want.support);
      close(entry.precision, want.precision);
      close(entry.recall, want.recall);
      close(entry.f1, want.f1);
    });
  });

  it('averages over every class (macro) and by support (weighted)', () => {
    close(metrics.macroAvg.precision, (1 / 2 + 2 / 3) / 5);
    close(metrics.macroAvg.recall, (1 / 2 + 1) / 5);
    close(metrics.macroAvg.f1, (1 / 2 + 4 / 5) / 5);
    close(metrics.weightedAvg.precision, (2 * (1 / 2) + 2 * (2 / 3)) / 6);
    close(metrics.weightedAvg.recall, (2 * (1 / 2) + 2 * 1) / 6);
    close(metrics.weightedAvg.f1, (2 * (1 / 2) + 2 * (4 / 5)) / 6);
  });

  it('takes the log loss of the true class', () => {
    const own = [0.7, 0.3, 0.8, 0.5, 0.05, 0.3];
    close(metrics.loss, own.reduce((sum, p) => sum - Math.log(p), 0) / own.length);
  });

  it('prints "micro avg" instead of "accuracy" when a class is neither true nor predicted', () => {
    const lines = formatClassificationReport(metrics).split('\n');
    assert.equal(lines[8], '   micro avg       0.50      0.50      0.50         6');
    assert.ok(!lines.some((line) => line.includes('accuracy')));
  });

  it('refuses probabilities whose size disagrees with the labels and class names', () => {
    assert.throws(
      () => evaluatePredictions(new Float32Array(10), new Uint8Array(3), ['a', 'b', 'c']),
      /'probabilities' has 10 values; expected 3 labels × 3 classes/,
    );
    assert.throws(
      () => evaluatePredictions(new Float32Array(4), new Uint8Array([0, 2]), ['a', 'b']),
      /'labels'\[1\] is 2; expected a class index below 2/,
    );
  });
});

describe('logLoss', () => {
  it('clips a zero probability of the true class to float32 epsilon', () => {
    // [1, 0] clips to [1 − eps, eps], which still sums to 1: the loss is −ln(eps) = 23·ln 2.
    close(logLoss(new Float32Array([1, 0]), new Uint8Array([1]), 2), 23 * Math.LN2);
    assert.equal(FLOAT32_EPSILON, 2 ** -23);
  });

  it('renormalises rows that do not sum to one', () => {
    close(logLoss(new Float32Array([0.2, 0.2]), new Uint8Array([0]), 2), Math.LN2);
  });
});

describe('topKAccuracy', () => {
  it('ranks the larger class index first among equal scores, as scikit-learn does', () => {
    const tied = new Float32Array([0.5, 0.25, 0.25]);
    assert.equal(topKAccuracy(tied, new Uint8Array([1]), 3, 2), 0);
    assert.equal(topKAccuracy(tied, new Uint8Array([2]), 3, 2), 1);
  });
});

describe('argmaxRows and confusionMatrix', () => {
  it('keeps the first of equal maxima', () => {
    assert.deepEqual([...argmaxRows(new Float32Array([0.5, 0.5, 0.2, 0.8]), 2)], [0, 1]);
  });
  it('refuses labels and predictions of different lengths', () => {
    assert.throws(() => confusionMatrix(new Uint8Array(2), new Uint8Array(3), 2), /'labels' has 2 entries/);
  });
});

describe('formatClassificationReport', () => {
  it("prints scikit-learn's documented example character for character", () => {
    // y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1] from classification_report's docstring.
    const metrics = evaluatePredictions(
      probabilitiesFor([0, 0, 2, 2, 1], 3),
      new Uint8Array([0, 1, 2, 2, 2]),
      ['class 0', 'class 1', 'class 2'],
    );
    const expected = [
      '              precision    recall  f1-score   support',
      '',
      '     class 0       0.50      1.00      0.67         1',
      '     class 1       0.00      0.00      0.00         1',
      '     class 2       1.00      0.67      0.80         3',
      '',
      '    accuracy                           0.60         5',
      '   macro avg       0.50      0.56      0.49         5',
      'weighted avg       0.70      0.60      0.61         5',
      '',
    ].join('\n');
    assert.equal(formatClassificationReport(metrics), expected);
  });

  it('widens the name column for long class names and honours digits', () => {
    const metrics = evaluatePredictions(probabilitiesFor([0, 1], 2), new Uint8Array([0, 1]), [
      'a-very-long-class-name',
      'b',
    ]);
    const lines = formatClassificationReport(metrics, 4).split('\n');
    assert.equal(lines[2], 'a-very-long-class-name     1.0000    1.0000    1.0000         1');
    assert.equal(lines[3], `${'b'.padStart(22)}     1.0000    1.0000    1.0000         1`);
  });
});

describe('formatFixed', () => {
  it("rounds exact ties half to even like Python's format, and everything else to nearest", () => {
    assert.equal(formatFixed(0.125, 2), '0.12');
    assert.equal(formatFixed(0.375, 2), '0.38');
    assert.equal(formatFixed(2.5, 0), '2');
    assert.equal(formatFixed(0.165, 2), '0.17'); // 0.165 is stored slightly above the tie
    assert.equal(formatFixed(0.145, 2), '0.14'); // and 0.145 slightly below
    assert.equal(formatFixed(2 / 3, 6), '0.666667');
  });
});
