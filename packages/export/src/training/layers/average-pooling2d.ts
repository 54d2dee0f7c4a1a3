import { checkPooling, outputPadding, poolGeometry } from './pooling.js';
import type { TrainerConfig } from './types.js';

/**
 * AveragePooling2D: AveragePool with explicit pads, padded cells left out of each mean (tfjs's forward).
 * Gradient: each output gradient spread over its window by a ConvTranspose of ones. tfjs's cpu
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
        // Per channel moved into the batch: onnxruntime-web's WebGPU computes grouped ConvTranspose wrongly.
        const taps = kernel[0] * kernel[1];
        const ones = ops.floats([1, 1, kernel[0], kernel[1]], new Float32Array(taps).fill(1), 'ones');
        const scaled = ops.mul(ops.reshape(gradient, [-1, 1, 0, 0]), ops.scalar(1 / taps, 'inverse_window'));
        const spread = ops.node('ConvTranspose', [scaled, ones], {
          kernel_shape: kernel,
          pads,
          strides,
          group: 1,
          output_padding: outputPadding(geometry),
        });
        return [ops.reshape(spread, [-1, channels, geometry.height, geometry.width])];
      },
    };
  },
};
