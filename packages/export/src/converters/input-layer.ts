import type { ConverterConfig } from './types.js';

/** InputLayer: the graph input itself; nothing to add. */
export const inputLayerConverter: ConverterConfig = {
  className: 'InputLayer',
  convert: (context) => context.inputs[0]!,
};
