import * as tf from '@tensorflow/tfjs';

/**
 * Mean cross-entropy of probabilities against integer labels, with optional label smoothing.
 *
 * @example
 * crossEntropy(tf.tensor2d([[0.9, 0.1]]), tf.tensor1d([0], 'int32'), 2, 0).dataSync(); // [0.105]
 */
export function crossEntropy(
  probabilities: tf.Tensor,
  labels: tf.Tensor1D,
  classes: number,
  smoothing: number,
): tf.Scalar {
  return tf.tidy(() => {
    let targets = tf.oneHot(labels, classes).toFloat();
    if (smoothing > 0) targets = targets.mul(1 - smoothing).add(smoothing / classes);
    // log(p + ε), not a clip: a NaN probability must give a NaN loss (wasm's clip turns NaN into ε).
    const logs = tf.log(tf.add(probabilities, 1e-7));
    return tf.neg(tf.sum(tf.mul(targets, logs))).div(labels.shape[0]) as tf.Scalar;
  });
}
