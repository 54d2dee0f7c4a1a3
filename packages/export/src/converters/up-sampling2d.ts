import type { AttributeValue } from '../graph/graph-builder.js';
import { pair } from './common.js';
import type { ConverterConfig } from './types.js';

/**
 * UpSampling2D → Resize with integer scales. tfjs resizes with `alignCorners = false` and no half-pixel
 * centres, which is ONNX's `asymmetric` transform (nearest: `floor`).
 */
export const upSampling2dConverter: ConverterConfig = {
  className: 'UpSampling2D',
  convert: (context) => {
    const input = context.toChannelsFirst(context.inputs[0]!);
    const [height, width] = pair(context.config.size ?? 2, 'size');
    const interpolation = String(context.config.interpolation ?? 'nearest');
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
      throw new RangeError(
        `layer '${context.layerName}': interpolation '${interpolation}' is not nearest or bilinear`,
      );
    }
    const graph = context.graph;
    const scales = graph.addFloat(`${context.layerName}/scales`, [4], [1, 1, height, width]);
    const attributes: Record<string, AttributeValue> =
      interpolation === 'nearest'
        ? { coordinate_transformation_mode: 'asymmetric', mode: 'nearest', nearest_mode: 'floor' }
        : { coordinate_transformation_mode: 'asymmetric', mode: 'linear' };
    const name = graph.addNode('Resize', [input.name, '', scales], {
      name: `${context.layerName}/Resize`,
      attributes,
    });
    return { name, shape: context.outputShapes[0]!, layout: 'channels-first' };
  },
};
