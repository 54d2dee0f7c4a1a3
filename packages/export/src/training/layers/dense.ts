import { applyTrainableActivation, isTrainableActivation, TRAINABLE_ACTIVATIONS } from '../activations.js';
import type { TrainerConfig } from './types.js';

/**
 * Dense on a `[batch, features]` value: Gemm with the fed `[features, units]` kernel, then the fused
 * activation. Gradients are two more Gemms (kernel: inputᵀ · gradient; input: gradient · kernelᵀ) and a
 * column sum (bias).
 */
export const denseTrainer: TrainerConfig = {
  className: 'Dense',
  check: (config, inputShapes) => {
    const shape = inputShapes[0] ?? [];
    if (shape.length !== 2)
      return `its input must be [batch, features], got rank ${shape.length} (add a Flatten)`;
    if (!isTrainableActivation(config.activation)) {
      return `activation '${config.activation}' (trainable: ${TRAINABLE_ACTIVATIONS.join(', ')})`;
    }
    return null;
  },
  forward: (context) => {
    const { ops } = context;
    const input = context.inputs[0]!;
    const kernel = context.weight('kernel')!;
    const bias = context.weight('bias');
    const linear = ops.node('Gemm', bias ? [input.name, kernel.name, bias.name] : [input.name, kernel.name]);
    const activation = applyTrainableActivation(ops, linear, context.config.activation, 1);
    return {
      outputs: [{ name: activation.output, shape: context.outputShapes[0]! }],
      backward: ([outputGradient]) => {
        if (outputGradient === undefined) return [undefined];
        const gradient = activation.backward(outputGradient);
        context.addGradient('kernel', ops.node('Gemm', [input.name, gradient], { transA: 1 }));
        if (bias) context.addGradient('bias', ops.reduceSum(gradient, [0]));
        if (!context.inputsNeedGradient[0]) return [undefined];
        return [ops.node('Gemm', [gradient, kernel.name], { transB: 1 })];
      },
    };
  },
};
