import { applyActivation, explicitPads, pair, staticDim } from './common.js';
import type { ConverterConfig } from './types.js';

/**
 * Conv2DTranspose → ConvTranspose. tfjs's kernel `[kh, kw, out, in]` becomes `[in, out, kh, kw]`; the pads
 * are those of the forward convolution tfjs differentiates, and `output_padding` makes up the rest of
 * tfjs's output size.
 */
export const conv2dTransposeConverter: ConverterConfig = {
  className: 'Conv2DTranspose',
  convert: (context) => {
    const { config, graph } = context;
    const input = context.toChannelsFirst(context.inputs[0]!);
    const kernel = context.weight('kernel')!;
    const [kernelHeight, kernelWidth, filters, inChannels] = kernel.shape as [number, number, number, number];
    const strides = pair(config.strides, 'strides');
    const dilations = pair(config.dilationRate ?? 1, 'dilationRate');
    const outputShape = context.outputShapes[0]!;
    const output: [number, number] = [
      staticDim(context, outputShape[1], 'output height'),
      staticDim(context, outputShape[2], 'output width'),
    ];
    const inputSize = [
      staticDim(context, input.shape[1], 'input height'),
      staticDim(context, input.shape[2], 'input width'),
    ];
    const pads = explicitPads(
      output,
      [kernelHeight, kernelWidth],
      strides,
      dilations,
      String(config.padding),
    );
    const outputPadding = [0, 1].map((axis) => {
      const effective = ((axis === 0 ? kernelHeight : kernelWidth) - 1) * dilations[axis]! + 1;
      const natural = strides[axis]! * (inputSize[axis]! - 1) + effective - pads[axis]! - pads[axis + 2]!;
      return output[axis]! - natural;
    });
    const weights = new Float32Array(kernel.values.length);
    for (let h = 0; h < kernelHeight; h++)
      for (let w = 0; w < kernelWidth; w++)
        for (let o = 0; o < filters; o++)
          for (let i = 0; i < inChannels; i++)
            weights[((i * filters + o) * kernelHeight + h) * kernelWidth + w] =
              kernel.values[((h * kernelWidth + w) * filters + o) * inChannels + i]!;
    const weightName = graph.addFloat(
      `${context.layerName}/kernel`,
      [inChannels, filters, kernelHeight, kernelWidth],
      weights,
    );
    const biasName = graph.addFloat(
      `${context.layerName}/bias`,
      [filters],
      context.weight('bias')?.values ?? new Float32Array(filters),
    );
    const name = graph.addNode('ConvTranspose', [input.name, weightName, biasName], {
      name: `${context.layerName}/ConvTranspose`,
      attributes: {
        dilations,
        kernel_shape: [kernelHeight, kernelWidth],
        output_padding: outputPadding,
        pads,
        strides,
      },
    });
    return applyActivation(
      context,
      { name, shape: outputShape, layout: 'channels-first' },
      config.activation,
    );
  },
};
