import type { Ops } from './ops.js';
import type { TrainingLoss } from './types.js';

/** tfjs's ε inside the log of `@cnnx/train`'s cross-entropy: `log(p + 1e-7)`. */
const LOG_EPSILON = 1e-7;

/** The loss, the count of correct predictions and the gradient of the loss with respect to the probabilities. */
export interface LossStep {
  loss: string;
  correct: string;
  gradient: string;
}

/**
 * One-hot rows of the first maximum of each row of a `[batch, classes]` value: `argMax` as tfjs takes it
 * (the first index on ties), in float ops only — a `classes × classes` MatMul counts the maxima before each
 * column and a Relu keeps the first (ArgMax would give int64, which onnxruntime-web's WebGPU avoids).
 */
function firstMaximum(ops: Ops, rows: string, classes: number): string {
  const maxima = ops.cast(ops.node('Equal', [rows, ops.reduceMax(rows, [1], true)]), 'float32');
  const before = new Float32Array(classes * classes);
  for (let from = 0; from < classes; from++)
    for (let to = from + 1; to < classes; to++) before[from * classes + to] = 1;
  const earlier = ops.node('MatMul', [maxima, ops.floats([classes, classes], before, 'earlier')]);
  return ops.node('Relu', [ops.sub(maxima, earlier)]);
}

/**
 * Mean cross-entropy of the model's probabilities `[batch, classes]` against the labels, exactly as
 * `@cnnx/train`'s loop writes it for tfjs: targets one-hot (sparse: from int32 class indices; categorical:
 * given), smoothed to `t·(1 − s) + s/classes`, loss `−Σ t·log(p + 1e-7) / batch`. The gradient follows
 * tfjs's chain of ops (`(t · −1/batch) / (p + 1e-7)`) rather than the shortcut `p − t` through the softmax,
 * which differs from it by the ε: up to 1e-4 relative where a probability is near 1e-3.
 *
 * @example
 * const { loss, correct, gradient } = crossEntropy(ops, probabilities, 'labels', 'sparse-categorical-crossentropy', 0, 10);
 */
export function crossEntropy(
  ops: Ops,
  probabilities: string,
  labels: string,
  loss: TrainingLoss,
  smoothing: number,
  classes: number,
): LossStep {
  let hot: string;
  if (loss === 'sparse-categorical-crossentropy') {
    const column = ops.node('Unsqueeze', [labels, ops.int64s([1], 'axes')]);
    const indices = ops.int32s(
      [1, classes],
      Array.from({ length: classes }, (_, index) => index),
      'classes',
    );
    hot = ops.cast(ops.node('Equal', [column, indices]), 'float32');
  } else {
    hot = labels;
  }
  const targets =
    smoothing > 0
      ? ops.add(
          ops.mul(hot, ops.scalar(Math.fround(1 - smoothing), 'keep')),
          ops.scalar(Math.fround(smoothing / classes), 'spread'),
        )
      : hot;
  // The batch size as a float, from the data (the batch dimension is symbolic): one 1 per row.
  const ones = ops.add(ops.mul(ops.reduceSum(hot, [1]), ops.scalar(0, 'zero')), ops.scalar(1, 'one'));
  const batch = ops.node('ReduceSum', [ones], { keepdims: 0 });
  const shifted = ops.add(probabilities, ops.scalar(LOG_EPSILON, 'epsilon'));
  const total = ops.node('ReduceSum', [ops.mul(targets, ops.node('Log', [shifted]))], { keepdims: 0 });
  const value = ops.div(ops.node('Neg', [total]), batch);
  const negativeInverse = ops.node('Neg', [ops.div(ops.scalar(1, 'one'), batch)]);
  const gradient = ops.div(ops.mul(targets, negativeInverse), shifted);
  const predicted = firstMaximum(ops, probabilities, classes);
  const expected = loss === 'sparse-categorical-crossentropy' ? hot : firstMaximum(ops, hot, classes);
  const correct = ops.node('ReduceSum', [ops.mul(predicted, expected)], { keepdims: 0 });
  return { loss: value, correct, gradient };
}
