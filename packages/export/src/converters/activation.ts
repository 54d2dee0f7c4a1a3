import { applyActivation } from './common.js';
import type { ConverterConfig } from './types.js';

/** Activation → the nodes of its tfjs activation (see applyActivation). */
export const activationConverter: ConverterConfig = {
  className: 'Activation',
  convert: (context) => applyActivation(context, context.inputs[0]!, context.config.activation),
};
