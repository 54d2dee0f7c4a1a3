import type { GraphBuilder } from '../graph/graph-builder.js';
import type { QuantizeMode, TensorRange } from '../types.js';
import { toFloat16Array } from './float16.js';
import { quantizeInt8 } from './int8.js';

/**
 * Rewrites a float32 graph in place: `fp16` stores every float weight as float16 followed by a Cast back to
 * float32 (inputs, outputs and arithmetic stay float32; onnxruntime folds the casts when it loads);
 * `int8` inserts QuantizeLinear/DequantizeLinear pairs (see {@link quantizeInt8}).
 *
 * @example
 * quantizeGraph(graph, 'fp16'); // Conv weights now float16, each behind a Cast node
 */
export function quantizeGraph(
  graph: GraphBuilder,
  mode: QuantizeMode,
  ranges?: Map<string, TensorRange>,
): void {
  if (mode === 'int8') {
    if (!ranges)
      throw new TypeError("int8 quantization needs 'calibrationRanges' (measured on calibration images)");
    quantizeInt8(graph, ranges);
    return;
  }
  if (mode !== 'fp16')
    throw new RangeError(`'quantize' must be 'fp16' or 'int8', got ${JSON.stringify(mode)}`);
  const casts: GraphBuilder['nodes'] = [];
  for (const initializer of [...graph.initializers.values()]) {
    if (initializer.type !== 'float32' || initializer.data.length < 16) continue;
    const half = graph.addInitializer(
      `${initializer.name}_fp16`,
      'float16',
      initializer.dims,
      toFloat16Array(initializer.data as Float32Array),
    );
    const castName = graph.uniqueName(`${initializer.name}/Cast`);
    const castOutput = graph.uniqueName(`${initializer.name}_fp32`);
    for (const node of graph.nodes)
      node.inputs = node.inputs.map((name) => (name === initializer.name ? castOutput : name));
    casts.push({
      opType: 'Cast',
      name: castName,
      inputs: [half],
      outputs: [castOutput],
      attributes: { to: 1 },
    });
  }
  graph.nodes.unshift(...casts);
  graph.pruneInitializers();
}
