import { checkClasses } from './confusion-matrix.js';

/** Machine epsilon of float32 (2⁻²³): scikit-learn's clipping bound for float32 probabilities. */
export const FLOAT32_EPSILON = 2 ** -23;

/**
 * Mean cross-entropy of the true class, exactly as scikit-learn's `log_loss(labels, probabilities,
 * labels=range(classes))` computes it for float32 input: each probability is clipped to
 * `[eps, 1 − eps]` with `eps = np.finfo(float32).eps`, each row is divided by its sum, and the loss is
 * the mean of `−log p[true]`. (scikit-learn 1.3 to 1.6 renormalise; the clip keeps `log(0)` finite.)
 *
 * @example
 * logLoss(new Float32Array([0.8, 0.2, 0.3, 0.7]), new Uint8Array([0, 1]), 2);
 * // (−ln 0.8 − ln 0.7) / 2 ≈ 0.2899
 */
export function logLoss(probabilities: Float32Array, labels: Uint8Array, classes: number): number {
  checkClasses(classes, 256);
  if (probabilities.length !== labels.length * classes) {
    throw new RangeError(
      `'probabilities' has ${probabilities.length} values; expected ${labels.length} labels × ${classes} classes`,
    );
  }
  if (labels.length === 0) throw new RangeError(`'labels' is empty; the loss needs at least one image`);
  const low = FLOAT32_EPSILON;
  const high = Math.fround(1 - FLOAT32_EPSILON);
  let total = 0;
  for (let row = 0; row < labels.length; row++) {
    const offset = row * classes;
    let sum = 0;
    for (let column = 0; column < classes; column++) {
      sum += clip(probabilities[offset + column] as number, low, high, row, column);
    }
    const truth = labels[row] as number;
    if (truth >= classes) {
      throw new RangeError(`'labels'[${row}] is ${truth}; expected a class index below ${classes}`);
    }
    const own = clip(probabilities[offset + truth] as number, low, high, row, truth);
    total -= Math.log(own / sum);
  }
  return total / labels.length;
}

function clip(value: number, low: number, high: number, row: number, column: number): number {
  if (Number.isNaN(value)) {
    throw new RangeError(`'probabilities'[${row}][${column}] is NaN; expected a probability`);
  }
  return Math.min(Math.max(value, low), high);
}
