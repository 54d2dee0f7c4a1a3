import { argmaxRows, checkClasses, confusionMatrix } from './confusion-matrix.js';
import { logLoss } from './log-loss.js';
import type { AverageMetrics, ClassMetrics, EvaluationMetrics } from './types.js';

/**
 * Scores `n × classes` probabilities against the true labels with scikit-learn's definitions: the
 * prediction is the most probable class (first on ties), `loss` is `log_loss`, `top3Accuracy` is
 * `top_k_accuracy_score(k=3)`, and precision, recall, F1 and their macro and weighted averages are
 * `classification_report`'s over every class (a zero division gives 0, as with `zero_division="warn"`).
 *
 * @example
 * const metrics = evaluatePredictions(
 *   new Float32Array([0.9, 0.1, 0.4, 0.6, 0.7, 0.3]),
 *   new Uint8Array([0, 1, 1]),
 *   ['cat', 'dog'],
 * );
 * metrics.accuracy; // 2 / 3
 * metrics.confusionMatrix; // [[1, 0], [1, 1]]
 * metrics.perClass[0]; // { label: 'cat', precision: 0.5, recall: 1, f1: 0.666…, support: 1 }
 */
export function evaluatePredictions(
  probabilities: Float32Array,
  labels: Uint8Array,
  classNames: string[],
): EvaluationMetrics {
  const classes = classNames.length;
  checkClasses(classes, 256);
  if (probabilities.length !== labels.length * classes) {
    throw new RangeError(
      `'probabilities' has ${probabilities.length} values; expected ${labels.length} labels × ${classes} classes (${classNames.length} class names)`,
    );
  }
  const count = labels.length;
  const predicted = argmaxRows(probabilities, classes);
  const matrix = confusionMatrix(labels, predicted, classes);
  const loss = logLoss(probabilities, labels, classes);

  let correct = 0;
  for (let index = 0; index < classes; index++) correct += (matrix[index] as number[])[index] as number;

  const perClass: ClassMetrics[] = classNames.map((label, index) => {
    const row = matrix[index] as number[];
    const truePositives = row[index] as number;
    const support = row.reduce((sum, value) => sum + value, 0);
    let predictedCount = 0;
    for (const other of matrix) predictedCount += other[index] as number;
    const falsePositives = predictedCount - truePositives;
    const falseNegatives = support - truePositives;
    return {
      label,
      precision: divide(truePositives, predictedCount),
      recall: divide(truePositives, support),
      f1: divide(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives),
      support,
    };
  });

  return {
    count,
    loss,
    accuracy: divide(correct, count),
    top3Accuracy: topKAccuracy(probabilities, labels, classes, 3),
    confusionMatrix: matrix,
    perClass,
    macroAvg: average(perClass, () => 1),
    weightedAvg: average(perClass, (entry) => entry.support),
  };
}

/**
 * The fraction of images whose true class is among the `k` highest scores, as scikit-learn's
 * `top_k_accuracy_score`: among equal scores the class with the larger index ranks first (its stable
 * ascending sort, reversed).
 *
 * @example
 * topKAccuracy(new Float32Array([0.5, 0.3, 0.2]), new Uint8Array([2]), 3, 2); // 0
 */
export function topKAccuracy(
  probabilities: Float32Array,
  labels: Uint8Array,
  classes: number,
  k: number,
): number {
  checkClasses(classes, 256);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`'k' is ${k}; expected an integer ≥ 1`);
  if (probabilities.length !== labels.length * classes) {
    throw new RangeError(
      `'probabilities' has ${probabilities.length} values; expected ${labels.length} labels × ${classes} classes`,
    );
  }
  if (labels.length === 0) return 0;
  let hits = 0;
  for (let row = 0; row < labels.length; row++) {
    const offset = row * classes;
    const truth = labels[row] as number;
    const own = probabilities[offset + truth] as number;
    let rank = 0;
    for (let column = 0; column < classes; column++) {
      const value = probabilities[offset + column] as number;
      if (value > own || (value === own && column > truth)) rank++;
    }
    if (rank < k) hits++;
  }
  return hits / labels.length;
}

function divide(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function average(perClass: ClassMetrics[], weightOf: (entry: ClassMetrics) => number): AverageMetrics {
  let weights = 0;
  const sums = { precision: 0, recall: 0, f1: 0 };
  for (const entry of perClass) {
    const weight = weightOf(entry);
    weights += weight;
    sums.precision += weight * entry.precision;
    sums.recall += weight * entry.recall;
    sums.f1 += weight * entry.f1;
  }
  return {
    precision: divide(sums.precision, weights),
    recall: divide(sums.recall, weights),
    f1: divide(sums.f1, weights),
  };
}
