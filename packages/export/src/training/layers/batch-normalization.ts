import type { TrainerConfig } from './types.js';

/**
 * BatchNormalization in training, on the channels axis of a rank-2 or rank-4 value: the batch's mean and
 * (biased) variance normalise it, as tfjs's `moments` + `batchNorm`, and the moving statistics move by
 * `moving − (moving − batch) · (1 − momentum)`, tfjs-layers' update. Gradients: the textbook ones —
 * γ: Σ dy·x̂, β: Σ dy, x: γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)).
 */
export const batchNormalizationTrainer: TrainerConfig = {
  className: 'BatchNormalization',
  check: (config, inputShapes) => {
    const rank = (inputShapes[0] ?? []).length;
    if (rank !== 2 && rank !== 4) return `its input must be rank 2 or 4, got rank ${rank}`;
    const axis = typeof config.axis === 'number' ? config.axis : -1;
    if (axis !== -1 && axis !== rank - 1) return `axis ${axis} (only the channels axis, -1)`;
    return null;
  },
  forward: (context) => {
    const { ops, config } = context;
    const input = context.inputs[0]!;
    const rank = input.shape.length;
    const movingMean = context.weight('moving_mean')!;
    const movingVariance = context.weight('moving_variance')!;
    const channels = movingMean.shape[0]!;
    const broadcast = rank === 4 ? [1, channels, 1, 1] : [channels];
    const gamma = context.weight('gamma');
    const beta = context.weight('beta');
    const epsilon = Number(config.epsilon ?? 1e-3);
    const momentum = Number(config.momentum ?? 0.99);

    // Rank 4: over space, then over the batch. Two short float32 reductions round much less than one long
    // one, and these means feed every element's gradient (tfjs's cpu backend sums in float64).
    const reduceMean = (value: string) =>
      rank === 4
        ? ops.reduceMean(ops.reduceMean(value, [2, 3], true), [0], true)
        : ops.reduceMean(value, [0], true);
    const reduceSum = (value: string) =>
      ops.reshape(
        rank === 4 ? ops.reduceSum(ops.reduceSum(value, [2, 3], true), [0]) : ops.reduceSum(value, [0]),
        [channels],
      );
    // The backward needs Σ and the mean of the same two values: one pass over space gives both (the
    // mean's divisions applied to the per-image sums, not a second pass over the full value).
    const sumAndMean = (value: string): [string, string] => {
      if (rank !== 4) return [reduceSum(value), ops.reduceMean(value, [0], true)];
      const [, height, width] = input.shape as [null, number, number, number];
      const perImage = ops.reduceSum(value, [2, 3], true);
      return [
        ops.reshape(ops.reduceSum(perImage, [0]), [channels]),
        ops.mul(ops.reduceMean(perImage, [0], true), ops.scalar(1 / (height * width), 'per_pixel')),
      ];
    };
    const mean = reduceMean(input.name);
    const centered = ops.sub(input.name, mean);
    const variance = reduceMean(ops.mul(centered, centered));
    const inverseStd = ops.div(
      ops.scalar(1, 'one'),
      ops.node('Sqrt', [ops.add(variance, ops.scalar(epsilon, 'epsilon'))]),
    );
    // x̂ = (x − mean)/σ is never written out: the output scales the centred value by γ/σ (one pass, not
    // two), and the backward folds 1/σ into its per-channel factors.
    const gammaValue = gamma ? ops.reshape(gamma.name, broadcast) : undefined;
    const factor = gammaValue ? ops.mul(gammaValue, inverseStd) : inverseStd;
    const scaled = ops.mul(centered, factor);
    const output = beta ? ops.add(scaled, ops.reshape(beta.name, broadcast)) : scaled;

    const decay = ops.scalar(Math.fround(1 - Math.fround(momentum)), 'decay');
    const moveTowards = (moving: string, batch: string) =>
      ops.sub(moving, ops.mul(ops.sub(moving, ops.reshape(batch, [channels])), decay));
    context.setNextValue('moving_mean', moveTowards(movingMean.name, mean));
    context.setNextValue('moving_variance', moveTowards(movingVariance.name, variance));

    return {
      outputs: [{ name: output, shape: context.outputShapes[0]! }],
      backward: ([gradient]) => {
        if (gradient === undefined) return [undefined];
        // Σ dy·x̂ = Σ dy·(x − mean) / σ, and x̂ · mean(dy·x̂) = (x − mean) · mean(dy·(x − mean)) / σ².
        const [gradientSum, meanGradient] = sumAndMean(gradient);
        const [projectionSum, meanProjection] = sumAndMean(ops.mul(gradient, centered));
        if (gamma) context.addGradient('gamma', ops.mul(projectionSum, ops.reshape(inverseStd, [channels])));
        if (beta) context.addGradient('beta', gradientSum);
        if (!context.inputsNeedGradient[0]) return [undefined];
        const projection = ops.mul(meanProjection, ops.mul(inverseStd, inverseStd));
        const inner = ops.sub(ops.sub(gradient, meanGradient), ops.mul(centered, projection));
        return [ops.mul(inner, factor)];
      },
    };
  },
};
