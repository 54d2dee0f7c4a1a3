import { staticDim } from './common.js';
import type { ConverterConfig } from './types.js';

/** tfjs's `[[top, bottom], [left, right]]` (or a number, or `[vertical, horizontal]`). */
function edges(value: unknown, name: string): [[number, number], [number, number]] {
  if (typeof value === 'number')
    return [
      [value, value],
      [value, value],
    ];
  if (Array.isArray(value) && value.length === 2) {
    const [vertical, horizontal] = value as unknown[];
    const side = (entry: unknown): [number, number] => {
      if (typeof entry === 'number') return [entry, entry];
      if (Array.isArray(entry) && entry.length === 2) return [Number(entry[0]), Number(entry[1])];
      throw new TypeError(`'${name}' must be a number or pairs, got ${JSON.stringify(value)}`);
    };
    return [side(vertical), side(horizontal)];
  }
  throw new TypeError(`'${name}' must be a number or pairs, got ${JSON.stringify(value)}`);
}

/** ZeroPadding2D → Pad (constant zero) on the spatial axes of the channels-first value. */
export const zeroPadding2dConverter: ConverterConfig = {
  className: 'ZeroPadding2D',
  convert: (context) => {
    const input = context.toChannelsFirst(context.inputs[0]!);
    const [[top, bottom], [left, right]] = edges(context.config.padding, 'padding');
    const pads = context.graph.addInt64(`${context.layerName}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
    const name = context.graph.addNode('Pad', [input.name, pads], {
      name: `${context.layerName}/Pad`,
      attributes: { mode: 'constant' },
    });
    return { name, shape: context.outputShapes[0]!, layout: 'channels-first' };
  },
};

/** Cropping2D → Slice of the spatial axes of the channels-first value. */
export const cropping2dConverter: ConverterConfig = {
  className: 'Cropping2D',
  convert: (context) => {
    const input = context.toChannelsFirst(context.inputs[0]!);
    const [[top, bottom], [left, right]] = edges(context.config.cropping, 'cropping');
    const height = staticDim(context, input.shape[1], 'input height');
    const width = staticDim(context, input.shape[2], 'input width');
    const graph = context.graph;
    const name = graph.addNode(
      'Slice',
      [
        input.name,
        graph.addInt64(`${context.layerName}/starts`, [top, left]),
        graph.addInt64(`${context.layerName}/ends`, [height - bottom, width - right]),
        graph.addInt64(`${context.layerName}/axes`, [2, 3]),
      ],
      { name: `${context.layerName}/Slice` },
    );
    return { name, shape: context.outputShapes[0]!, layout: 'channels-first' };
  },
};
