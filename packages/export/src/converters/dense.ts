import { applyActivation } from './common.js';
import type { ConverterConfig, ValueRef } from './types.js';

/**
 * Rows of a Dense kernel `[features, units]` reordered for an input flattened channels-first: ONNX feature
 * `c·S + s` (S = product of spatial dims) is tfjs feature `s·C + c`.
 *
 * @example
 * permuteRowsForChannelsFirst(kernel, 128, [7, 7, 64]); // rows in C·H·W order
 */
export function permuteRowsForChannelsFirst(
  kernel: Float32Array,
  units: number,
  tfjsDims: number[],
): Float32Array {
  const channels = tfjsDims[tfjsDims.length - 1]!;
  const spatial = tfjsDims.slice(0, -1).reduce((product, dim) => product * dim, 1);
  const result = new Float32Array(kernel.length);
  for (let c = 0; c < channels; c++) {
    for (let s = 0; s < spatial; s++) {
      const from = (s * channels + c) * units;
      result.set(kernel.subarray(from, from + units), (c * spatial + s) * units);
    }
  }
  return result;
}

/** Dense → Gemm on rank 2 (MatMul + Add on higher ranks), then its fused activation. */
export const denseConverter: ConverterConfig = {
  className: 'Dense',
  convert: (context) => {
    const { graph } = context;
    let input = context.inputs[0]!;
    const kernel = context.weight('kernel')!;
    const [features, units] = kernel.shape as [number, number];
    let values = kernel.values;
    if (input.shape.length === 2 && input.flattenedFrom) {
      values = permuteRowsForChannelsFirst(values, units, input.flattenedFrom);
    } else if (input.shape.length > 2 || input.flattenedFrom) {
      input = context.toNative(input);
    }
    const weightName = graph.addFloat(`${context.layerName}/kernel`, [features, units], values);
    const biasName = graph.addFloat(
      `${context.layerName}/bias`,
      [units],
      context.weight('bias')?.values ?? new Float32Array(units),
    );
    let output: string;
    if (input.shape.length === 2) {
      output = graph.addNode('Gemm', [input.name, weightName, biasName], {
        name: `${context.layerName}/Gemm`,
      });
    } else {
      const product = graph.addNode('MatMul', [input.name, weightName], {
        name: `${context.layerName}/MatMul`,
      });
      output = graph.addNode('Add', [product, biasName], { name: `${context.layerName}/Add` });
    }
    const ref: ValueRef = {
      name: output,
      shape: context.outputShapes[0]!,
      layout: 'native',
      affine: { kernel: weightName, bias: biasName, outputAxis: 1, layer: context.layerName },
    };
    return applyActivation(context, ref, context.config.activation);
  },
};
