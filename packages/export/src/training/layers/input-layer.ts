import type { TrainerConfig } from './types.js';

/** InputLayer: the graph's images themselves; nothing to add, nothing to differentiate. */
export const inputLayerTrainer: TrainerConfig = {
  className: 'InputLayer',
  forward: (context) => ({
    outputs: [context.inputs[0]!],
    backward: (gradients) => gradients,
  }),
};
