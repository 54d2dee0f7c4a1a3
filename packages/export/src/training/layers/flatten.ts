import { fromTfjsOrder, toTfjsOrder } from '../layout.js';
import type { TrainerConfig } from './types.js';

/**
 * Flatten in tfjs's element order: a rank-4 (channels-first) value is transposed to NHWC first, so the
 * next Dense takes tfjs's kernel as it is. Gradient: the reshape back, and the transpose back.
 */
export const flattenTrainer: TrainerConfig = {
  className: 'Flatten',
  check: (config) =>
    (config.dataFormat ?? 'channelsLast') === 'channelsLast' ? null : `dataFormat ${config.dataFormat}`,
  forward: (context) => {
    const { ops } = context;
    const input = context.inputs[0]!;
    const rank = input.shape.length;
    const outputShape = context.outputShapes[0]!;
    if (rank <= 2) return { outputs: [{ ...input, shape: outputShape }], backward: (gradients) => gradients };
    const flat = ops.reshape(toTfjsOrder(ops, input.name, rank), [0, -1]);
    const tail = input.shape.slice(1) as number[];
    return {
      outputs: [{ name: flat, shape: outputShape }],
      backward: ([gradient]) => {
        if (gradient === undefined || !context.inputsNeedGradient[0]) return [undefined];
        return [fromTfjsOrder(ops, ops.reshape(gradient, [0, ...tail]), rank)];
      },
    };
  },
};
