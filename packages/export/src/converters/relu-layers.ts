import { float } from '../graph/graph-builder.js';
import { unary } from './common.js';
import type { ConverterConfig } from './types.js';

/**
 * ReLU layer → Relu, or Clip(0, maxValue) when `maxValue` is set. (tfjs's ReLU layer has no `threshold`
 * or `negativeSlope`: ThresholdedReLU and LeakyReLU are its separate layers, converted below.)
 */
export const reluConverter: ConverterConfig = {
  className: 'ReLU',
  convert: (context) => {
    const input = context.inputs[0]!;
    const maxValue = context.config.maxValue;
    if (typeof maxValue === 'number') {
      const low = context.graph.addFloat(`${context.layerName}/min`, [], [0]);
      const high = context.graph.addFloat(`${context.layerName}/max`, [], [maxValue]);
      return unary(context, input, 'Clip', {}, [low, high]);
    }
    return unary(context, input, 'Relu');
  },
};

/** LeakyReLU → LeakyRelu with tfjs's `alpha` (default 0.3). */
export const leakyReluConverter: ConverterConfig = {
  className: 'LeakyReLU',
  convert: (context) =>
    unary(context, context.inputs[0]!, 'LeakyRelu', { alpha: float(Number(context.config.alpha ?? 0.3)) }),
};

/** ELU layer → Elu with `alpha` (default 1). */
export const eluConverter: ConverterConfig = {
  className: 'ELU',
  convert: (context) =>
    unary(context, context.inputs[0]!, 'Elu', { alpha: float(Number(context.config.alpha ?? 1)) }),
};

/** ThresholdedReLU → ThresholdedRelu with `theta` (default 1). */
export const thresholdedReluConverter: ConverterConfig = {
  className: 'ThresholdedReLU',
  convert: (context) =>
    unary(context, context.inputs[0]!, 'ThresholdedRelu', {
      alpha: float(Number(context.config.theta ?? 1)),
    }),
};

/** PReLU → PRelu, its `alpha` weight moved to the value's layout so it broadcasts. */
export const preluConverter: ConverterConfig = {
  className: 'PReLU',
  convert: (context) => {
    let input = context.inputs[0]!;
    if (input.flattenedFrom) input = context.toNative(input);
    const alpha = context.weight('alpha')!;
    let dims = alpha.shape;
    let values = alpha.values;
    if (input.layout === 'channels-first' && dims.length >= 2) {
      // [...spatial, C] → [C, ...spatial]
      const channels = dims[dims.length - 1]!;
      const spatial = values.length / channels;
      const moved = new Float32Array(values.length);
      for (let s = 0; s < spatial; s++)
        for (let c = 0; c < channels; c++) moved[c * spatial + s] = values[s * channels + c]!;
      values = moved;
      dims = [channels, ...dims.slice(0, -1)];
    }
    const slope = context.graph.addFloat(`${context.layerName}/alpha`, dims, values);
    return unary(context, input, 'PRelu', {}, [slope]);
  },
};
