import { applyActivation } from './common.js';
import { depthwiseConv } from './depthwise-conv2d.js';
import type { ConverterConfig } from './types.js';

/** SeparableConv2D → a depthwise Conv (no bias) and a 1×1 Conv with the bias, then its activation. */
export const separableConv2dConverter: ConverterConfig = {
  className: 'SeparableConv2D',
  convert: (context) => {
    const { graph } = context;
    const depthwise = depthwiseConv(context, false, true);
    const pointwise = context.weight('pointwise_kernel')!;
    const [, , inChannels, filters] = pointwise.shape as [number, number, number, number];
    // A 1×1 HWIO kernel [1, 1, in, out] → OIHW [out, in, 1, 1] is a plain transpose of [in, out].
    const weights = new Float32Array(pointwise.values.length);
    for (let i = 0; i < inChannels; i++)
      for (let o = 0; o < filters; o++) weights[o * inChannels + i] = pointwise.values[i * filters + o]!;
    const weightName = graph.addFloat(
      `${context.layerName}/pointwise_kernel`,
      [filters, inChannels, 1, 1],
      weights,
    );
    const biasName = graph.addFloat(
      `${context.layerName}/bias`,
      [filters],
      context.weight('bias')?.values ?? new Float32Array(filters),
    );
    const output = graph.addNode('Conv', [depthwise.name, weightName, biasName], {
      name: `${context.layerName}/PointwiseConv`,
      attributes: { kernel_shape: [1, 1] },
    });
    const ref = {
      name: output,
      shape: context.outputShapes[0]!,
      layout: 'channels-first' as const,
      affine: { kernel: weightName, bias: biasName, outputAxis: 0, layer: context.layerName },
    };
    return applyActivation(context, ref, context.config.activation);
  },
};
