import type { ConversionContext, ConverterConfig, ValueRef } from './types.js';

function globalPool(context: ConversionContext, opType: 'GlobalAveragePool' | 'GlobalMaxPool'): ValueRef {
  const input = context.toChannelsFirst(context.inputs[0]!);
  const pooled = context.graph.addNode(opType, [input.name], { name: `${context.layerName}/${opType}` });
  const shape = context.outputShapes[0]!;
  if (shape.length === 4) return { name: pooled, shape, layout: 'channels-first' };
  const name = context.graph.addNode('Flatten', [pooled], {
    name: `${context.layerName}/Flatten`,
    attributes: { axis: 1 },
  });
  return { name, shape, layout: 'native' };
}

/** GlobalAveragePooling2D → GlobalAveragePool + Flatten to `[batch, channels]`. */
export const globalAveragePooling2dConverter: ConverterConfig = {
  className: 'GlobalAveragePooling2D',
  convert: (context) => globalPool(context, 'GlobalAveragePool'),
};

/** GlobalMaxPooling2D → GlobalMaxPool + Flatten to `[batch, channels]`. */
export const globalMaxPooling2dConverter: ConverterConfig = {
  className: 'GlobalMaxPooling2D',
  convert: (context) => globalPool(context, 'GlobalMaxPool'),
};
