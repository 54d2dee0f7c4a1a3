import type { ConverterConfig } from './types.js';

/** Permute → Transpose with tfjs's 1-based `dims` behind the batch axis. */
export const permuteConverter: ConverterConfig = {
  className: 'Permute',
  convert: (context) => {
    const input = context.toNative(context.inputs[0]!);
    const dims = context.config.dims as number[];
    const name = context.graph.addNode('Transpose', [input.name], {
      name: `${context.layerName}/Transpose`,
      attributes: { perm: [0, ...dims] },
    });
    return { name, shape: context.outputShapes[0]!, layout: 'native' };
  },
};
