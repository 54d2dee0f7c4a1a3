import { float } from '../graph/graph-builder.js';
import type { ConverterConfig } from './types.js';

/**
 * LayerNormalization over the trailing axes → LayerNormalization (opset ≥ 17), or its decomposition
 * (ReduceMean, Sub, Pow, Add, Sqrt, Div, Mul, Add) below 17.
 */
export const layerNormalizationConverter: ConverterConfig = {
  className: 'LayerNormalization',
  convert: (context) => {
    const { graph } = context;
    const input = context.toNative(context.inputs[0]!);
    const rank = input.shape.length;
    const configured = context.config.axis;
    const axes = (Array.isArray(configured) ? configured : [configured ?? -1]).map((axis) =>
      Number(axis) < 0 ? Number(axis) + rank : Number(axis),
    );
    axes.sort((a, b) => a - b);
    const first = axes[0]!;
    if (axes.some((axis, index) => axis !== first + index) || axes[axes.length - 1] !== rank - 1) {
      throw new RangeError(
        `layer '${context.layerName}': LayerNormalization axes ${JSON.stringify(configured)} must be the trailing axes`,
      );
    }
    const normalizedShape = input.shape.slice(first).map((dim) => dim ?? 1);
    const size = normalizedShape.reduce((product, dim) => product * dim, 1);
    const epsilon = Number(context.config.epsilon ?? 1e-3);
    const gamma = graph.addFloat(
      `${context.layerName}/gamma`,
      normalizedShape,
      context.weight('gamma')?.values ?? new Float32Array(size).fill(1),
    );
    const beta = graph.addFloat(
      `${context.layerName}/beta`,
      normalizedShape,
      context.weight('beta')?.values ?? new Float32Array(size),
    );
    const node = (opType: string, inputs: string[], attributes = {}): string =>
      graph.addNode(opType, inputs, { name: `${context.layerName}/${opType}`, attributes });
    let name: string;
    if (context.opset >= 17) {
      name = node('LayerNormalization', [input.name, gamma, beta], { axis: first, epsilon: float(epsilon) });
    } else {
      const mean = node('ReduceMean', [input.name], { axes: axes, keepdims: 1 });
      const centered = node('Sub', [input.name, mean]);
      const variance = node('ReduceMean', [node('Mul', [centered, centered])], { axes: axes, keepdims: 1 });
      const deviation = node('Sqrt', [
        node('Add', [variance, graph.addFloat(`${context.layerName}/epsilon`, [], [epsilon])]),
      ]);
      name = node('Add', [node('Mul', [node('Div', [centered, deviation]), gamma]), beta]);
    }
    return { name, shape: context.outputShapes[0]!, layout: 'native' };
  },
};
