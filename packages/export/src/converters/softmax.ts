import { onnxAxis } from './common.js';
import type { ConverterConfig } from './types.js';

/** Softmax layer → Softmax on its axis mapped through the layout. */
export const softmaxConverter: ConverterConfig = {
  className: 'Softmax',
  convert: (context) => {
    const input = context.inputs[0]!;
    const axis = typeof context.config.axis === 'number' ? context.config.axis : -1;
    const output = context.graph.addNode('Softmax', [input.name], {
      name: `${context.layerName}/Softmax`,
      attributes: { axis: onnxAxis(input, axis) },
    });
    return { ...input, name: output, affine: undefined };
  },
};
