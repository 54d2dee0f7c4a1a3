import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD } from '../kernels/batch-norm-grad.js';

/**
 * tfjs's gradient of `FusedBatchNorm` with respect to `x` tiles 1/√(var+ε) to the full N×H×W×C
 * shape before multiplying; on the wasm backend that `Tile` was the costliest kernel of a training
 * step of the `best` preset (674 ms of ~2.5 s). This gradient is the same formula with a broadcast
 * multiply instead; the other partial derivatives are tfjs's own. Where the backend has cnnx's
 * {@link BATCH_NORM_GRAD} kernel (wasm), per-channel statistics take that one kernel instead of a
 * dozen elementwise ones (on a [64, 28, 28, 32] input, about 8 ms of kernels → under 2 ms).
 */
function batchNormGradient(
  dy: tf.Tensor,
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
): Record<string, () => tf.Tensor> {
  const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
  const perChannel = mean.rank === 1 && mean.size === x.shape.at(-1);
  const float32 = [dy, x, mean, variance, scale].every(
    (tensor) => tensor === undefined || tensor.dtype === 'float32',
  );
  if (perChannel && float32 && tf.getKernel(BATCH_NORM_GRAD, tf.getBackend()) !== undefined) {
    const inputs: tf.NamedTensorMap = { dy, x, mean, variance };
    if (scale !== undefined) inputs.scale = scale;
    const [dx, dMean, dVariance, dScale, dOffset] = tf
      .engine()
      .runKernel(BATCH_NORM_GRAD, inputs, { varianceEpsilon }) as tf.Tensor[];
    return {
      x: () => dx!,
      mean: () => dMean!,
      variance: () => dVariance!,
      scale: () => dScale!,
      offset: () => dOffset!,
    };
  }
  const scaleValue = scale ?? tf.scalar(1);
  const reductionAxes: number[] = [];
  if (mean.rank === 1) for (let axis = 0; axis < x.rank - 1; axis += 1) reductionAxes.push(axis);
  const reduce = (tensor: tf.Tensor) => (mean.rank === 1 ? tf.sum(tensor, reductionAxes) : tensor);
  const xMinusMean = tf.sub(x, mean);
  const dyTimesScale = tf.mul(dy, scaleValue);
  const inverseDeviation = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
  const minusHalfInverseCube = tf.mul(tf.pow(inverseDeviation, 3), tf.scalar(-0.5));
  return {
    x: () => tf.reshape(tf.mul(dyTimesScale, inverseDeviation), x.shape),
    mean: () => tf.reshape(reduce(tf.mul(tf.neg(inverseDeviation), dyTimesScale)), mean.shape),
    variance: () =>
      tf.reshape(reduce(tf.mul(tf.mul(minusHalfInverseCube, xMinusMean), dyTimesScale)), mean.shape),
    scale: () => tf.reshape(reduce(tf.mul(dy, tf.mul(xMinusMean, inverseDeviation))), mean.shape),
    offset: () => tf.reshape(reduce(dy), mean.shape),
  };
}

let registered = false;

/**
 * Replaces tfjs's `FusedBatchNorm` gradient with one that broadcasts instead of tiling (same
 * values, far less memory traffic). Safe to call more than once; `initBackend` calls it.
 *
 * @example
 * registerBatchNormGradient();
 * // batch-norm layers now train without a full-size Tile per layer and step
 */
export function registerBatchNormGradient(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: batchNormGradient as unknown as tf.GradConfig['gradFunc'],
  });
  registered = true;
}
