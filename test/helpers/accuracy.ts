/**
 * The share of rows whose highest of 10 probabilities (the first, on a tie) is the label: the tests' own
 * reference, independent of `@cnnx/train`'s metrics that the CLI reports through.
 *
 * @example
 * accuracy(probabilities, heldOut.labels); // 0.9893
 */
export function accuracy(probabilities: Float32Array, labels: Uint8Array): number {
  let correct = 0;
  for (let row = 0; row < labels.length; row += 1) {
    const scores = probabilities.subarray(row * 10, row * 10 + 10);
    if (scores.indexOf(Math.max(...scores)) === labels[row]) correct += 1;
  }
  return correct / labels.length;
}
