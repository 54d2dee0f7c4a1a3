import type { ConverterConfig } from './types.js';

/** Reshape → Reshape of the tfjs-ordered value to `[batch, ...targetShape]`. */
export const reshapeConverter: ConverterConfig = {
  className: 'Reshape',
  convert: (context) => {
    const input = context.toNative(context.inputs[0]!);
    const target = context.config.targetShape as number[];
    const shape = context.graph.addInt64(`${context.layerName}/shape`, [0, ...target]);
    const name = context.graph.addNode('Reshape', [input.name, shape], {
      name: `${context.layerName}/Reshape`,
    });
    return { name, shape: context.outputShapes[0]!, layout: 'native' };
  },
};
