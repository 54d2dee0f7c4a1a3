import { checkPooling, outputPadding, poolGeometry } from './pooling.js';
import type { TrainerConfig } from './types.js';

/**
 * AveragePooling2D: AveragePool with explicit pads, padded cells left out of each mean (tfjs's forward).
 * Gradient: each output gradient spread over its window by a grouped ConvTranspose of ones. tfjs's cpu
 * kernel (AvgPoolGrad) divides by the full window size even where a `same` window overlaps the padding,
 * so this does too: a checkpoint trains on the same way on either engine.
 */
export const averagePooling2dTrainer: TrainerConfig = {
  className: 'AveragePooling2D',
  check: checkPooling,
  forward: (context) => {
    const { ops } = context;
    const input = context.inputs[0]!;
    const outputShape = context.outputShapes[0]!;
    const geometry = poolGeometry(context.config, input.shape, outputShape);
    const { kernel, strides, pads } = geometry;
    const output = ops.node('AveragePool', [input.name], {
      count_include_pad: 0,
      kernel_shape: kernel,
      pads,
      strides,
    });
    const channels = input.shape[3] as number;
    return {
      outputs: [{ name: output, shape: outputShape }],
      backward: ([gradient]) => {
        if (gradient === undefined || !context.inputsNeedGradient[0]) return [undefined];
        const taps = kernel[0] * kernel[1];
        const ones = ops.floats(
          [channels, 1, kernel[0], kernel[1]],
          new Float32Array(channels * taps).fill(1),
          'ones',
        );
        const scaled = ops.mul(gradient, ops.scalar(1 / taps, 'inverse_window'));
        return [
          ops.node('ConvTranspose', [scaled, ones], {
            kernel_shape: kernel,
            pads,
            strides,
            group: channels,
            output_padding: outputPadding(geometry),
          }),
        ];
      },
    };
  },
};
