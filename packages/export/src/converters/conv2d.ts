import { applyActivation, explicitPads, hwioToOihw, pair, staticDim } from './common.js';
import type { ConverterConfig } from './types.js';

/** Conv2D → Conv (OIHW weights, explicit pads), then its fused activation. */
export const conv2dConverter: ConverterConfig = {
  className: 'Conv2D',
  convert: (context) => {
    const { config, graph } = context;
    const input = context.toChannelsFirst(context.inputs[0]!);
    const kernel = context.weight('kernel')!;
    const [kernelHeight, kernelWidth, , filters] = kernel.shape as [number, number, number, number];
    const strides = pair(config.strides, 'strides');
    const dilations = pair(config.dilationRate ?? 1, 'dilationRate');
    const spatial: [number, number] = [
      staticDim(context, input.shape[1], 'input height'),
      staticDim(context, input.shape[2], 'input width'),
    ];
    const pads = explicitPads(
      spatial,
      [kernelHeight, kernelWidth],
      strides,
      dilations,
      String(config.padding),
    );
    const weightName = graph.addFloat(
      `${context.layerName}/kernel`,
      [filters, kernel.shape[2]!, kernelHeight, kernelWidth],
      hwioToOihw(kernel.values, kernel.shape),
    );
    const bias = context.weight('bias')?.values ?? new Float32Array(filters);
    const biasName = graph.addFloat(`${context.layerName}/bias`, [filters], bias);
    const output = graph.addNode('Conv', [input.name, weightName, biasName], {
      name: `${context.layerName}/Conv`,
      attributes: {
        dilations,
        group: 1,
        kernel_shape: [kernelHeight, kernelWidth],
        pads,
        strides,
      },
    });
    const ref = {
      name: output,
      shape: context.outputShapes[0]!,
      layout: 'channels-first' as const,
      affine: { kernel: weightName, bias: biasName, outputAxis: 0, layer: context.layerName },
    };
    return applyActivation(context, ref, config.activation);
  },
};
