/**
 * The index of the largest value in each row of an `n × classes` matrix; the first one wins a tie, as
 * NumPy's `argmax` does.
 *
 * @example
 * argmaxRows(new Float32Array([0.1, 0.9, 0.5, 0.5]), 2); // Uint8Array [1, 0]
 */
export function argmaxRows(probabilities: Float32Array, classes: number): Uint8Array {
  checkClasses(classes, 256);
  if (probabilities.length % classes !== 0) {
    throw new RangeError(
      `'probabilities' has ${probabilities.length} values, not a multiple of ${classes} classes`,
    );
  }
  const count = probabilities.length / classes;
  const predicted = new Uint8Array(count);
  for (let row = 0; row < count; row++) {
    const offset = row * classes;
    let best = 0;
    let bestValue = probabilities[offset] as number;
    for (let column = 1; column < classes; column++) {
      const value = probabilities[offset + column] as number;
      if (value > bestValue) {
        bestValue = value;
        best = column;
      }
    }
    predicted[row] = best;
  }
  return predicted;
}

/**
 * Counts `matrix[true][predicted]`, as scikit-learn's `confusion_matrix(labels, predicted,
 * labels=range(classes))`: rows are true classes, columns predicted classes.
 *
 * @example
 * confusionMatrix(new Uint8Array([0, 1, 1]), new Uint8Array([0, 0, 1]), 2); // [[1, 0], [1, 1]]
 */
export function confusionMatrix(labels: Uint8Array, predicted: Uint8Array, classes: number): number[][] {
  checkClasses(classes, 256);
  if (labels.length !== predicted.length) {
    throw new RangeError(
      `'labels' has ${labels.length} entries but 'predicted' has ${predicted.length}; expected the same count`,
    );
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let index = 0; index < labels.length; index++) {
    const truth = labels[index] as number;
    const guess = predicted[index] as number;
    if (truth >= classes) {
      throw new RangeError(`'labels'[${index}] is ${truth}; expected a class index below ${classes}`);
    }
    if (guess >= classes) {
      throw new RangeError(`'predicted'[${index}] is ${guess}; expected a class index below ${classes}`);
    }
    (matrix[truth] as number[])[guess] = ((matrix[truth] as number[])[guess] as number) + 1;
  }
  return matrix;
}

/** Throws a RangeError unless `classes` is an integer from 1 to `max`. */
export function checkClasses(classes: number, max: number): void {
  if (!Number.isInteger(classes) || classes < 1 || classes > max) {
    throw new RangeError(`'classes' is ${classes}; expected an integer from 1 to ${max}`);
  }
}
