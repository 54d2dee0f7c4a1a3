import { onnxAxis } from './common.js';
import type { ConversionContext, ConverterConfig, ValueRef } from './types.js';

/** Per-channel `scale` and `shift` so that BatchNormalization is `x · scale + shift`. */
function affineOf(
  context: ConversionContext,
  channels: number,
): { scale: Float32Array; shift: Float32Array } {
  const epsilon = Number(context.config.epsilon ?? 1e-3);
  const gamma = context.weight('gamma')?.values;
  const beta = context.weight('beta')?.values;
  const mean = context.weight('moving_mean')!.values;
  const variance = context.weight('moving_variance')!.values;
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma?.[c] ?? 1) / Math.sqrt(variance[c]! + epsilon);
    shift[c] = (beta?.[c] ?? 0) - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

/** Folds `scale`/`shift` into the weights of the preceding Conv/Dense: W·scale on its output axis. */
function fold(
  context: ConversionContext,
  input: ValueRef,
  scale: Float32Array,
  shift: Float32Array,
): boolean {
  const affine = input.affine;
  if (!affine) return false;
  const kernel = context.graph.initializers.get(affine.kernel);
  const bias = context.graph.initializers.get(affine.bias);
  if (!kernel || !bias || kernel.type !== 'float32') return false;
  const weights = kernel.data as Float32Array;
  const biases = bias.data as Float32Array;
  const channels = scale.length;
  if (biases.length !== channels) return false;
  if (affine.outputAxis === 0) {
    const per = weights.length / channels;
    for (let c = 0; c < channels; c++) for (let k = 0; k < per; k++) weights[c * per + k]! *= scale[c]!;
  } else {
    for (let index = 0; index < weights.length; index++) weights[index]! *= scale[index % channels]!;
  }
  for (let c = 0; c < channels; c++) biases[c] = biases[c]! * scale[c]! + shift[c]!;
  return true;
}

/**
 * BatchNormalization: folded into the preceding Conv or Dense when that layer is linear and feeds only
 * this one; otherwise BatchNormalization on axis 1, or Mul + Add on another axis.
 */
export const batchNormalizationConverter: ConverterConfig = {
  className: 'BatchNormalization',
  convert: (context) => {
    const { graph } = context;
    const input = context.inputs[0]!;
    const rank = input.shape.length;
    const tfjsAxis = typeof context.config.axis === 'number' ? context.config.axis : -1;
    const positive = tfjsAxis < 0 ? tfjsAxis + rank : tfjsAxis;
    const channels = context.weight('moving_mean')!.shape[0]!;
    const { scale, shift } = affineOf(context, channels);
    if (positive === rank - 1 && context.inputsFoldable[0] && fold(context, input, scale, shift)) {
      return { ...input, shape: context.outputShapes[0]!, affine: undefined };
    }
    const axis = onnxAxis(input.flattenedFrom ? context.toNative(input) : input, tfjsAxis);
    const source = input.flattenedFrom ? context.toNative(input) : input;
    if (axis === 1) {
      const epsilon = Number(context.config.epsilon ?? 1e-3);
      const name = graph.addNode(
        'BatchNormalization',
        [
          source.name,
          graph.addFloat(
            `${context.layerName}/gamma`,
            [channels],
            context.weight('gamma')?.values ?? new Float32Array(channels).fill(1),
          ),
          graph.addFloat(
            `${context.layerName}/beta`,
            [channels],
            context.weight('beta')?.values ?? new Float32Array(channels),
          ),
          graph.addFloat(
            `${context.layerName}/moving_mean`,
            [channels],
            context.weight('moving_mean')!.values,
          ),
          graph.addFloat(
            `${context.layerName}/moving_variance`,
            [channels],
            context.weight('moving_variance')!.values,
          ),
        ],
        { name: `${context.layerName}/BatchNormalization`, attributes: { epsilon: { float: epsilon } } },
      );
      return { ...source, name, affine: undefined };
    }
    const dims = [channels, ...new Array<number>(rank - 1 - axis).fill(1)];
    const scaled = graph.addNode(
      'Mul',
      [source.name, graph.addFloat(`${context.layerName}/scale`, dims, scale)],
      {
        name: `${context.layerName}/Mul`,
      },
    );
    const name = graph.addNode('Add', [scaled, graph.addFloat(`${context.layerName}/shift`, dims, shift)], {
      name: `${context.layerName}/Add`,
    });
    return { ...source, name, affine: undefined };
  },
};
