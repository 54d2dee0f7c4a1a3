import { fromTfjsOrder, toTfjsOrder } from '../layout.js';
import type { TrainerConfig } from './types.js';

/** Reshape of the tfjs-ordered value to `[batch, ...targetShape]`; the gradient is reshaped back. */
export const reshapeTrainer: TrainerConfig = {
  className: 'Reshape',
  forward: (context) => {
    const { ops } = context;
    const input = context.inputs[0]!;
    const outputShape = context.outputShapes[0]!;
    const target = outputShape.slice(1).map((dim) => dim ?? -1);
    const reshaped = ops.reshape(toTfjsOrder(ops, input.name, input.shape.length), [0, ...target]);
    const output = fromTfjsOrder(ops, reshaped, outputShape.length);
    const inputTail = input.shape.slice(1).map((dim) => dim ?? -1);
    return {
      outputs: [{ name: output, shape: outputShape }],
      backward: ([gradient]) => {
        if (gradient === undefined || !context.inputsNeedGradient[0]) return [undefined];
        const back = ops.reshape(toTfjsOrder(ops, gradient, outputShape.length), [0, ...inputTail]);
        return [fromTfjsOrder(ops, back, input.shape.length)];
      },
    };
  },
};
