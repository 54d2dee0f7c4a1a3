import type { AttributeValue } from '../graph/graph-builder.js';
import { explicitPads, pair, staticDim } from './common.js';
import type { ConversionContext, ConverterConfig, ValueRef } from './types.js';

function pool(context: ConversionContext, opType: 'MaxPool' | 'AveragePool'): ValueRef {
  const { config } = context;
  const input = context.toChannelsFirst(context.inputs[0]!);
  const kernel = pair(config.poolSize, 'poolSize');
  const strides = pair(config.strides ?? config.poolSize, 'strides');
  const spatial: [number, number] = [
    staticDim(context, input.shape[1], 'input height'),
    staticDim(context, input.shape[2], 'input width'),
  ];
  const pads = explicitPads(spatial, kernel, strides, [1, 1], String(config.padding));
  // AveragePool: tfjs divides by the number of real (unpadded) cells, which is count_include_pad = 0.
  const attributes: Record<string, AttributeValue> =
    opType === 'AveragePool'
      ? { count_include_pad: 0, kernel_shape: kernel, pads, strides }
      : { kernel_shape: kernel, pads, strides };
  const output = context.graph.addNode(opType, [input.name], {
    name: `${context.layerName}/${opType}`,
    attributes,
  });
  return { name: output, shape: context.outputShapes[0]!, layout: 'channels-first' };
}

/** MaxPooling2D → MaxPool with explicit pads (padded cells never win, as in tfjs). */
export const maxPooling2dConverter: ConverterConfig = {
  className: 'MaxPooling2D',
  convert: (context) => pool(context, 'MaxPool'),
};

/** AveragePooling2D → AveragePool, padded cells excluded from the mean as tfjs does. */
export const averagePooling2dConverter: ConverterConfig = {
  className: 'AveragePooling2D',
  convert: (context) => pool(context, 'AveragePool'),
};
