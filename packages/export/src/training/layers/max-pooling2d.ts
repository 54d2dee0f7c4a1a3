import { patchKernel } from './conv2d.js';
import { checkPooling, earlierOnes, outputPadding, poolGeometry } from './pooling.js';
import type { TrainerConfig } from './types.js';

/** A value below every float32 but -Infinity, for padding windows (0 · it is still 0, unlike -Infinity). */
const LOWEST = -3.4028234663852886e38;

/**
 * MaxPooling2D: MaxPool with explicit pads. Its gradient goes to the first maximum of each window in
 * row-major order, tfjs's tie rule (padded cells never win). Real images have many tied windows (the
 * background's zeros), so a mask of all the maxima would send a window's gradient to several cells.
 *
 * With windows that tile the input exactly (pool size = strides, no padding) the windows are gathered by
 * SpaceToDepth into `[batch, k², …]`; each window's maxima are marked by one Equal, the maxima before each
 * cell counted by a `k² × k²` MatMul, and `Relu(mask − earlier)` keeps only the first. DepthToSpace puts
 * the gradient back. Otherwise the windows come from a one-hot grouped Conv (the same rule) and a grouped
 * ConvTranspose adds each window's share back, overlaps included.
 */
export const maxPooling2dTrainer: TrainerConfig = {
  className: 'MaxPooling2D',
  check: checkPooling,
  forward: (context) => {
    const { ops } = context;
    const input = context.inputs[0]!;
    const outputShape = context.outputShapes[0]!;
    const geometry = poolGeometry(context.config, input.shape, outputShape);
    const { kernel, strides, pads, height, width, outHeight, outWidth } = geometry;
    const output = ops.node('MaxPool', [input.name], { kernel_shape: kernel, pads, strides });
    const channels = input.shape[3] as number;
    const taps = kernel[0] * kernel[1];
    return {
      outputs: [{ name: output, shape: outputShape }],
      backward: ([gradient]) => {
        if (gradient === undefined || !context.inputsNeedGradient[0]) return [undefined];
        const tiles =
          kernel[0] === kernel[1] &&
          strides[0] === kernel[0] &&
          strides[1] === kernel[1] &&
          pads.every((pad) => pad === 0) &&
          height % kernel[0] === 0 &&
          width % kernel[1] === 0;
        if (tiles) {
          const block = kernel[0];
          const windows = ops.reshape(ops.node('SpaceToDepth', [input.name], { blocksize: block }), [
            0,
            taps,
            -1,
          ]);
          const maxima = ops.cast(ops.node('Equal', [windows, ops.reshape(output, [0, 1, -1])]), 'float32');
          const first = ops.node('Relu', [
            ops.sub(maxima, ops.node('MatMul', [earlierOnes(ops, taps), maxima])),
          ]);
          const routed = ops.mul(first, ops.reshape(gradient, [0, 1, -1]));
          const blocks = ops.reshape(routed, [0, taps * channels, outHeight, outWidth]);
          return [ops.node('DepthToSpace', [blocks], { blocksize: block, mode: 'DCR' })];
        }
        const padded = pads.some((pad) => pad > 0)
          ? ops.node('Pad', [
              input.name,
              ops.int64s([0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!], 'pads'),
              ops.scalar(LOWEST, 'lowest'),
            ])
          : input.name;
        const oneHot = patchKernel(ops, channels, kernel[0], kernel[1]);
        const patches = ops.node('Conv', [padded, oneHot], {
          kernel_shape: kernel,
          pads: [0, 0, 0, 0],
          strides,
          group: channels,
        });
        const windows = ops.reshape(patches, [0, channels, taps, -1]);
        const maxima = ops.cast(
          ops.node('Equal', [windows, ops.reshape(output, [0, channels, 1, -1])]),
          'float32',
        );
        const first = ops.node('Relu', [
          ops.sub(maxima, ops.node('MatMul', [earlierOnes(ops, taps), maxima])),
        ]);
        const routed = ops.mul(first, ops.reshape(gradient, [0, channels, 1, -1]));
        const shares = ops.reshape(routed, [0, channels * taps, outHeight, outWidth]);
        return [
          ops.node('ConvTranspose', [shares, oneHot], {
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
