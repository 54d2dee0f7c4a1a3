import { applyTrainableActivation, isTrainableActivation, TRAINABLE_ACTIVATIONS } from '../activations.js';
import { trainingAxis } from '../layout.js';
import type { TrainerConfig } from './types.js';

/** Activation: the activation alone (see applyTrainableActivation for each one's gradient). */
export const activationTrainer: TrainerConfig = {
  className: 'Activation',
  check: (config) =>
    isTrainableActivation(config.activation)
      ? null
      : `activation '${config.activation}' (trainable: ${TRAINABLE_ACTIVATIONS.join(', ')})`,
  forward: (context) => {
    const input = context.inputs[0]!;
    const axis = trainingAxis(-1, input.shape.length);
    const activation = applyTrainableActivation(context.ops, input.name, context.config.activation, axis);
    return {
      outputs: [{ name: activation.output, shape: context.outputShapes[0]! }],
      backward: ([gradient]) => [gradient === undefined ? undefined : activation.backward(gradient)],
    };
  },
};
