import { blockedOf, blockedSourceOf, reorderOutput } from '../nchwc.js';
import type { TrainerConfig } from './types.js';

/**
 * BatchNormalization in training, on the channels axis of a rank-2 or rank-4 value: the batch's mean and
 * (biased) variance normalise it, as tfjs's `moments` + `batchNorm`, and the moving statistics move by
 * `moving − (moving − batch) · (1 − momentum)`, tfjs-layers' update. Gradients: the textbook ones —
 * γ: Σ dy·x̂, β: Σ dy, x: γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)).
 *
 * When onnxruntime's blocked Conv wrote the input (channels in whole blocks), the same arithmetic runs on
 * those blocks, `[batch, channels / block, positions, block]`, and the output and the input gradient are
 * handed on in blocks: a blocked max-pool after it splits its cells out of them, and the conv's relu mask
 * and input gradient read them, with no reorder either way.
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
    const gamma = context.weight('gamma');
    const beta = context.weight('beta');
    const epsilon = Number(config.epsilon ?? 1e-3);
    const momentum = Number(config.momentum ?? 0.99);

    // The values this layer computes on, NCHW or (when a blocked Conv wrote the input) in blocks: their
    // per-channel shape, and the axes over space within one image.
    const block = context.nchwcBlockSize;
    const blockedInput =
      rank === 4 && block !== null && channels % block === 0
        ? blockedSourceOf(ops.graph, input.name, channels)
        : undefined;
    const [, height, width] = input.shape as [null, number, number, number];
    const blockedView = (value: string) =>
      ops.reshape(value, [-1, channels / block!, height * width, block!]);
    const blockedBack = (value: string) =>
      reorderOutput(ops, ops.reshape(value, [-1, channels, height, width]), channels);
    const x = blockedInput === undefined ? input.name : blockedView(blockedInput);
    const broadcast =
      blockedInput !== undefined
        ? [1, channels / block!, 1, block!]
        : rank === 4
          ? [1, channels, 1, 1]
          : [channels];
    const space = blockedInput !== undefined ? [2] : [2, 3];
    // A per-channel value against a full one. In blocks it is first expanded over space, `[1, channels /
    // block, positions, block]` (a few tens of kB): onnxruntime's elementwise operators then broadcast it
    // over the batch alone, which runs at NCHW's speed, where a block of 16 as the innermost broadcast ran
    // about twice as slow (0.44-0.67 against 0.17-0.42 ms a node for `[64, 64, 14, 14]`, 2 threads).
    const perChannel = (value: string) =>
      blockedInput === undefined
        ? value
        : ops.node('Expand', [value, ops.int64s([1, channels / block!, height * width, block!])]);

    // Rank 4: over space, then over the batch. Two short float32 reductions round much less than one long
    // one, and these means feed every element's gradient (tfjs's cpu backend sums in float64).
    const reduceMean = (value: string) =>
      rank === 4
        ? ops.reduceMean(ops.reduceMean(value, space, true), [0], true)
        : ops.reduceMean(value, [0], true);
    const reduceSum = (value: string) =>
      ops.reshape(
        rank === 4 ? ops.reduceSum(ops.reduceSum(value, space, true), [0]) : ops.reduceSum(value, [0]),
        [channels],
      );
    // The backward needs Σ and the mean of the same two values: one pass over space gives both (the
    // mean's divisions applied to the per-image sums, not a second pass over the full value).
    const sumAndMean = (value: string): [string, string] => {
      if (rank !== 4) return [reduceSum(value), ops.reduceMean(value, [0], true)];
      const perImage = ops.reduceSum(value, space, true);
      return [
        ops.reshape(ops.reduceSum(perImage, [0]), [channels]),
        ops.mul(ops.reduceMean(perImage, [0], true), ops.scalar(1 / (height * width), 'per_pixel')),
      ];
    };
    const mean = reduceMean(x);
    const centered = ops.sub(x, perChannel(mean));
    const variance = reduceMean(ops.mul(centered, centered));
    const inverseStd = ops.div(
      ops.scalar(1, 'one'),
      ops.node('Sqrt', [ops.add(variance, ops.scalar(epsilon, 'epsilon'))]),
    );
    // x̂ = (x − mean)/σ is never written out: the output scales the centred value by γ/σ (one pass, not
    // two), and the backward folds 1/σ into its per-channel factors.
    const gammaValue = gamma ? ops.reshape(gamma.name, broadcast) : undefined;
    const factor = gammaValue ? ops.mul(gammaValue, inverseStd) : inverseStd;
    const factorPlane = perChannel(factor);
    const scaled = ops.mul(centered, factorPlane);
    const normalized = beta ? ops.add(scaled, perChannel(ops.reshape(beta.name, broadcast))) : scaled;
    const output = blockedInput === undefined ? normalized : blockedBack(normalized);

    const decay = ops.scalar(Math.fround(1 - Math.fround(momentum)), 'decay');
    const moveTowards = (moving: string, batch: string) =>
      ops.sub(moving, ops.mul(ops.sub(moving, ops.reshape(batch, [channels])), decay));
    context.setNextValue('moving_mean', moveTowards(movingMean.name, mean));
    context.setNextValue('moving_variance', moveTowards(movingVariance.name, variance));

    return {
      outputs: [{ name: output, shape: context.outputShapes[0]! }],
      backward: ([outputGradient]) => {
        if (outputGradient === undefined) return [undefined];
        const gradient =
          blockedInput === undefined ? outputGradient : blockedView(blockedOf(ops, outputGradient, channels));
        // Σ dy·x̂ = Σ dy·(x − mean) / σ, and x̂ · mean(dy·x̂) = (x − mean) · mean(dy·(x − mean)) / σ².
        const [gradientSum, meanGradient] = sumAndMean(gradient);
        const [projectionSum, meanProjection] = sumAndMean(ops.mul(gradient, centered));
        if (gamma) context.addGradient('gamma', ops.mul(projectionSum, ops.reshape(inverseStd, [channels])));
        if (beta) context.addGradient('beta', gradientSum);
        if (!context.inputsNeedGradient[0]) return [undefined];
        const projection = ops.mul(meanProjection, ops.mul(inverseStd, inverseStd));
        const inner = ops.sub(
          ops.sub(gradient, perChannel(meanGradient)),
          ops.mul(centered, perChannel(projection)),
        );
        const inputGradient = ops.mul(inner, factorPlane);
        return [blockedInput === undefined ? inputGradient : blockedBack(inputGradient)];
      },
    };
  },
};
