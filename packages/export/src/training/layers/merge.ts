import { trainingAxis } from '../layout.js';
import type { TrainerConfig } from './types.js';

function sameShapes(_config: Record<string, unknown>, inputShapes: (number | null)[][]): string | null {
  const first = JSON.stringify(inputShapes[0]);
  return inputShapes.every((shape) => JSON.stringify(shape) === first)
    ? null
    : `its inputs must have one shape, got ${inputShapes.map((shape) => `[${shape.join(', ')}]`).join(' and ')}`;
}

/** Add (a residual join): Sum of the inputs; each input gets the whole gradient. */
export const addTrainer: TrainerConfig = {
  className: 'Add',
  check: sameShapes,
  forward: (context) => {
    const names = context.inputs.map((input) => input.name);
    const output = names.length === 1 ? names[0]! : context.ops.node('Sum', names);
    return {
      outputs: [{ name: output, shape: context.outputShapes[0]! }],
      backward: ([gradient]) =>
        context.inputs.map((_, index) => (context.inputsNeedGradient[index] ? gradient : undefined)),
    };
  },
};

/** Concatenate on its axis (mapped to the training layout); the gradient is Split back by sizes. */
export const concatenateTrainer: TrainerConfig = {
  className: 'Concatenate',
  check: (config, inputShapes) => {
    const rank = (inputShapes[0] ?? []).length;
    const axis = typeof config.axis === 'number' ? config.axis : -1;
    const positive = axis < 0 ? axis + rank : axis;
    if (positive <= 0 || positive >= rank) return `axis ${axis}`;
    if (inputShapes.some((shape) => typeof shape[positive] !== 'number'))
      return 'inputs of unknown size on its axis';
    return null;
  },
  forward: (context) => {
    const { ops } = context;
    const rank = context.inputs[0]!.shape.length;
    const tfjsAxis = typeof context.config.axis === 'number' ? context.config.axis : -1;
    const positive = tfjsAxis < 0 ? tfjsAxis + rank : tfjsAxis;
    const axis = trainingAxis(tfjsAxis, rank);
    const sizes = context.inputs.map((input) => input.shape[positive] as number);
    const output = ops.node(
      'Concat',
      context.inputs.map((input) => input.name),
      { axis },
    );
    return {
      outputs: [{ name: output, shape: context.outputShapes[0]! }],
      backward: ([gradient]) => {
        if (gradient === undefined) return context.inputs.map(() => undefined);
        const parts = ops.nodeMulti('Split', [gradient, ops.int64s(sizes, 'sizes')], sizes.length, { axis });
        return parts.map((part, index) => (context.inputsNeedGradient[index] ? part : undefined));
      },
    };
  },
};
