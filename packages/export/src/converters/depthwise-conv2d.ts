import { applyActivation, explicitPads, pair, staticDim } from './common.js';
import type { ConversionContext, ConverterConfig, ValueRef } from './types.js';

/**
 * A tfjs depthwise kernel `[kh, kw, in, multiplier]` as ONNX grouped-Conv weights `[in·multiplier, 1, kh, kw]`
 * (output channel `i·multiplier + m`, as tfjs orders them).
 *
 * @example
 * depthwiseToOnnx(kernel, [3, 3, 8, 2]); // Float32Array of 16×1×3×3
 */
export function depthwiseToOnnx(values: Float32Array, shape: number[]): Float32Array {
  const [height, width, inChannels, multiplier] = shape as [number, number, number, number];
  const result = new Float32Array(values.length);
  for (let h = 0; h < height; h++)
    for (let w = 0; w < width; w++)
      for (let i = 0; i < inChannels; i++)
        for (let m = 0; m < multiplier; m++)
          result[((i * multiplier + m) * height + h) * width + w] =
            values[((h * width + w) * inChannels + i) * multiplier + m]!;
  return result;
}

/**
 * The depthwise Conv node shared by DepthwiseConv2D and SeparableConv2D; returns a channels-first ref.
 *
 * @example
 * depthwiseConv(context, true, false); // a grouped Conv; ref is channels-first
 */
export function depthwiseConv(context: ConversionContext, withBias: boolean, useDilation: boolean): ValueRef {
  const { config, graph } = context;
  const input = context.toChannelsFirst(context.inputs[0]!);
  const kernel = context.weight('depthwise_kernel')!;
  const [kernelHeight, kernelWidth, inChannels, multiplier] = kernel.shape as [
    number,
    number,
    number,
    number,
  ];
  const strides = pair(config.strides, 'strides');
  const dilations = useDilation
    ? pair(config.dilationRate ?? 1, 'dilationRate')
    : ([1, 1] as [number, number]);
  const spatial: [number, number] = [
    staticDim(context, input.shape[1], 'input height'),
    staticDim(context, input.shape[2], 'input width'),
  ];
  const pads = explicitPads(spatial, [kernelHeight, kernelWidth], strides, dilations, String(config.padding));
  const outChannels = inChannels * multiplier;
  const inputs = [
    input.name,
    graph.addFloat(
      `${context.layerName}/depthwise_kernel`,
      [outChannels, 1, kernelHeight, kernelWidth],
      depthwiseToOnnx(kernel.values, kernel.shape),
    ),
  ];
  if (withBias) {
    inputs.push(
      graph.addFloat(
        `${context.layerName}/bias`,
        [outChannels],
        context.weight('bias')?.values ?? new Float32Array(outChannels),
      ),
    );
  }
  const output = graph.addNode('Conv', inputs, {
    name: `${context.layerName}/DepthwiseConv`,
    attributes: { dilations, group: inChannels, kernel_shape: [kernelHeight, kernelWidth], pads, strides },
  });
  const shape = [...input.shape.slice(0, 3), outChannels] as (number | null)[];
  return { name: output, shape, layout: 'channels-first' };
}

/** DepthwiseConv2D → Conv with `group` = input channels, then its fused activation. */
export const depthwiseConv2dConverter: ConverterConfig = {
  className: 'DepthwiseConv2D',
  convert: (context) => {
    // tfjs 4.22's DepthwiseConv2D ignores `dilationRate` when it runs (it passes no dilation to the op and
    // computes its output shape without one), so the export does the same to give tfjs's results.
    const ref = depthwiseConv(context, true, false);
    return applyActivation(context, { ...ref, shape: context.outputShapes[0]! }, context.config.activation);
  },
};
