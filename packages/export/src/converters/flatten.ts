import type { ConverterConfig } from './types.js';

/**
 * Flatten → ONNX Flatten. A channels-first input is flattened as it is (C, H, W order) and the result is
 * marked `flattenedFrom`, so the next Dense permutes its weights instead of transposing activations back.
 */
export const flattenConverter: ConverterConfig = {
  className: 'Flatten',
  convert: (context) => {
    const input = context.inputs[0]!;
    const shape = context.outputShapes[0]!;
    if (input.shape.length <= 2) return { ...input, shape, affine: undefined };
    const output = context.graph.addNode('Flatten', [input.name], {
      name: `${context.layerName}/Flatten`,
      attributes: { axis: 1 },
    });
    if (input.layout === 'channels-first') {
      return { name: output, shape, layout: 'native', flattenedFrom: input.shape.slice(1) as number[] };
    }
    return { name: output, shape, layout: 'native' };
  },
};
