/** Model scores → class probabilities: a model's softmax output as it is, logits through a softmax. */

/**
 * Turns rows of `classes` scores into probabilities in place when they are logits (a row outside [0, 1] or
 * not summing to 1), and says which they were.
 *
 * @example
 * const scores = Float32Array.of(2, 0);
 * toProbabilities(scores, 2); // → 'logits'; scores is now [0.881, 0.119]
 */
export function toProbabilities(scores: Float32Array, classes: number): 'probabilities' | 'logits' {
  const rows = scores.length / classes;
  let distributions = true;
  for (let row = 0; row < rows && distributions; row++) {
    let sum = 0;
    for (let k = row * classes; k < (row + 1) * classes; k++) {
      const value = scores[k] as number;
      if (!(value >= 0 && value <= 1)) {
        distributions = false;
        break;
      }
      sum += value;
    }
    if (Math.abs(sum - 1) > 1e-3) distributions = false;
  }
  if (distributions) return 'probabilities';
  for (let row = 0; row < rows; row++) {
    const start = row * classes;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = start; k < start + classes; k++) max = Math.max(max, scores[k] as number);
    let sum = 0;
    for (let k = start; k < start + classes; k++) {
      const e = Math.exp((scores[k] as number) - max);
      scores[k] = e;
      sum += e;
    }
    for (let k = start; k < start + classes; k++) scores[k] = (scores[k] as number) / sum;
  }
  return 'logits';
}
