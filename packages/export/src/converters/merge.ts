import { onnxAxis } from './common.js';
import type { ConversionContext, ConverterConfig, ValueRef } from './types.js';

/**
 * Brings every input to one layout: kept when all agree, else tfjs's own order.
 *
 * @example
 * alignInputs(context); // the inputs, all channels-first or all in tfjs order
 */
export function alignInputs(context: ConversionContext): ValueRef[] {
  const inputs = context.inputs;
  const first = inputs[0]!;
  const sameFlattening = inputs.every(
    (ref) => JSON.stringify(ref.flattenedFrom ?? null) === JSON.stringify(first.flattenedFrom ?? null),
  );
  if (sameFlattening && inputs.every((ref) => ref.layout === first.layout)) return inputs;
  return inputs.map((ref) => context.toNative(ref));
}

function variadic(className: string, opType: string, chain: boolean): ConverterConfig {
  return {
    className,
    convert: (context) => {
      const inputs = alignInputs(context);
      const names = inputs.map((ref) => ref.name);
      let name: string;
      if (chain) {
        name = names[0]!;
        for (const next of names.slice(1)) {
          name = context.graph.addNode(opType, [name, next], { name: `${context.layerName}/${opType}` });
        }
      } else {
        name = context.graph.addNode(opType, names, { name: `${context.layerName}/${opType}` });
      }
      const { affine: _affine, ...rest } = inputs[0]!;
      return { ...rest, name, shape: context.outputShapes[0]! };
    },
  };
}

/** Add → Sum of every input. */
export const addConverter = variadic('Add', 'Sum', false);
/** Multiply → chained Mul. */
export const multiplyConverter = variadic('Multiply', 'Mul', true);
/** Average → Mean. */
export const averageConverter = variadic('Average', 'Mean', false);
/** Maximum → Max. */
export const maximumConverter = variadic('Maximum', 'Max', false);
/** Minimum → Min. */
export const minimumConverter = variadic('Minimum', 'Min', false);

/** Concatenate → Concat on the configured axis mapped through the layout (flattened inputs in tfjs order). */
export const concatenateConverter: ConverterConfig = {
  className: 'Concatenate',
  convert: (context) => {
    let inputs = alignInputs(context);
    if (inputs.some((ref) => ref.flattenedFrom)) inputs = inputs.map((ref) => context.toNative(ref));
    const first = inputs[0]!;
    const axis = onnxAxis(first, typeof context.config.axis === 'number' ? context.config.axis : -1);
    const name = context.graph.addNode(
      'Concat',
      inputs.map((ref) => ref.name),
      { name: `${context.layerName}/Concat`, attributes: { axis } },
    );
    return { name, shape: context.outputShapes[0]!, layout: first.layout };
  },
};
