import type { TrainerConfig } from './types.js';

/**
 * GlobalAveragePooling2D: GlobalAveragePool, then `[batch, channels]`. Gradient: each channel's gradient
 * divided by the window size and broadcast over it.
 */
export const globalAveragePooling2dTrainer: TrainerConfig = {
  className: 'GlobalAveragePooling2D',
  check: (config, inputShapes) => {
    const shape = inputShapes[0] ?? [];
    if (shape.length !== 4 || typeof shape[1] !== 'number' || typeof shape[2] !== 'number') {
      return `its input must be [batch, height, width, channels] with known sizes, got [${shape.join(', ')}]`;
    }
    return (config.dataFormat ?? 'channelsLast') === 'channelsLast'
      ? null
      : `dataFormat ${config.dataFormat}`;
  },
  forward: (context) => {
    const { ops } = context;
    const input = context.inputs[0]!;
    const [, height, width, channels] = input.shape as [null, number, number, number];
    const outputShape = context.outputShapes[0]!;
    const pooled = ops.node('GlobalAveragePool', [input.name]);
    const keep = outputShape.length === 4;
    const output = keep ? pooled : ops.reshape(pooled, [0, channels]);
    return {
      outputs: [{ name: output, shape: outputShape }],
      backward: ([gradient]) => {
        if (gradient === undefined || !context.inputsNeedGradient[0]) return [undefined];
        const columns = keep ? gradient : ops.reshape(gradient, [0, channels, 1, 1]);
        const share = ops.floats(
          [1, 1, height, width],
          new Float32Array(height * width).fill(1 / (height * width)),
          'share',
        );
        return [ops.mul(columns, share)];
      },
    };
  },
};
