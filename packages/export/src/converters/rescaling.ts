import type { ConverterConfig } from './types.js';

/** Rescaling → `x · scale + offset` (Mul, Add), in any layout. */
export const rescalingConverter: ConverterConfig = {
  className: 'Rescaling',
  convert: (context) => {
    const { graph } = context;
    const input = context.inputs[0]!;
    const scale = graph.addFloat(`${context.layerName}/scale`, [], [Number(context.config.scale)]);
    const offset = graph.addFloat(`${context.layerName}/offset`, [], [Number(context.config.offset ?? 0)]);
    const scaled = graph.addNode('Mul', [input.name, scale], { name: `${context.layerName}/Mul` });
    const name = graph.addNode('Add', [scaled, offset], { name: `${context.layerName}/Add` });
    return { ...input, name, affine: undefined };
  },
};
