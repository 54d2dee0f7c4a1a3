import type { GraphBuilder, GraphNode, Initializer } from '../graph/graph-builder.js';
import type { TensorRange } from '../types.js';

/** Ops whose float inputs get a QuantizeLinear → DequantizeLinear pair, so onnxruntime runs them on int8. */
const QUANTIZED_INPUT_OPS = new Set([
  'Conv',
  'Gemm',
  'MatMul',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Flatten',
  'Transpose',
  'Reshape',
]);
/** Ops whose weights (input 1) are quantized per channel, with their bias (input 2). */
const WEIGHTED_OPS = new Set(['Conv', 'Gemm', 'MatMul']);

/**
 * The activation tensors int8 quantization needs ranges for: every float value (graph input or node
 * output) read by an op in {@link QUANTIZED_INPUT_OPS}. Calibration measures these.
 *
 * @example
 * calibrationTargets(graph); // ['input', 'to_nchw:0', 'conv2d/Relu:0', ...]
 */
export function calibrationTargets(graph: GraphBuilder): string[] {
  const targets: string[] = [];
  const seen = new Set<string>();
  for (const node of graph.nodes) {
    if (!QUANTIZED_INPUT_OPS.has(node.opType)) continue;
    const name = node.inputs[0];
    if (!name || seen.has(name) || graph.initializers.has(name)) continue;
    seen.add(name);
    targets.push(name);
  }
  return targets;
}

/**
 * Asymmetric int8 scale and zero point covering `range` (and 0), as onnxruntime's quantizer computes them.
 *
 * @example
 * activationParameters({ min: 0, max: 2.55 }); // { scale: 0.01, zeroPoint: -128 }
 */
export function activationParameters(range: TensorRange): { scale: number; zeroPoint: number } {
  const low = Math.min(range.min, 0);
  const high = Math.max(range.max, 0);
  const scale = high > low ? (high - low) / 255 : 1;
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - low / scale)));
  return { scale, zeroPoint };
}

/**
 * Per-channel symmetric int8 quantization of a weight along `axis`: `q = round(w / scale)` in [-127, 127],
 * `scale = max|w| / 127` per channel.
 *
 * @example
 * quantizePerChannel(new Float32Array([0.5, -1, 2, 4]), [2, 2], 0);
 * // { values: Int8Array [64, -127, 64, 127], scales: Float32Array [0.00787, 0.0315] }
 */
export function quantizePerChannel(
  values: Float32Array,
  dims: number[],
  axis: number,
): { values: Int8Array; scales: Float32Array } {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((product, dim) => product * dim, 1);
  const maxima = new Float32Array(channels);
  for (let index = 0; index < values.length; index++) {
    const channel = Math.floor(index / inner) % channels;
    maxima[channel] = Math.max(maxima[channel]!, Math.abs(values[index]!));
  }
  const scales = maxima.map((max) => (max > 0 ? max / 127 : 1));
  const quantized = new Int8Array(values.length);
  for (let index = 0; index < values.length; index++) {
    const channel = Math.floor(index / inner) % channels;
    quantized[index] = Math.max(-127, Math.min(127, Math.round(values[index]! / scales[channel]!)));
  }
  return { values: quantized, scales: Float32Array.from(scales) };
}

function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) result[c * rows + r] = values[r * columns + c]!;
  return result;
}

/**
 * Static QDQ int8 quantization, in place: QuantizeLinear/DequantizeLinear pairs (int8, asymmetric, from the
 * calibration `ranges`) on the activations read by Conv, Gemm, MatMul, pooling and shape ops; per-channel
 * symmetric int8 weights (axis 0 for Conv and Gemm, whose weights are made `[out, in]` with `transB = 1`;
 * axis 1 for MatMul) and int32 biases with scale `input scale × weight scale`. onnxruntime fuses the
 * pairs into QLinearConv / QGemm / integer MatMul kernels.
 *
 * @example
 * quantizeInt8(graph, ranges); // graph.nodes now hold QuantizeLinear/DequantizeLinear pairs
 */
export function quantizeInt8(graph: GraphBuilder, ranges: Map<string, TensorRange>): void {
  const activationScales = new Map<string, number>();
  const inserted: { before: GraphNode | undefined; nodes: GraphNode[] }[] = [];
  for (const target of calibrationTargets(graph)) {
    const range = ranges.get(target);
    if (!range || !Number.isFinite(range.min) || !Number.isFinite(range.max)) continue;
    const { scale, zeroPoint } = activationParameters(range);
    const scaleName = graph.addFloat(`${target}/scale`, [], [scale]);
    const zeroName = graph.addInitializer(`${target}/zero_point`, 'int8', [], Int8Array.of(zeroPoint));
    const quantized = graph.uniqueName(`${target}/quantized`);
    const dequantized = graph.uniqueName(`${target}/dequantized`);
    const consumers = graph.nodes.filter(
      (node) => QUANTIZED_INPUT_OPS.has(node.opType) && node.inputs[0] === target,
    );
    for (const consumer of consumers) consumer.inputs[0] = dequantized;
    inserted.push({
      before: consumers[0],
      nodes: [
        {
          opType: 'QuantizeLinear',
          name: graph.uniqueName(`${target}/QuantizeLinear`),
          inputs: [target, scaleName, zeroName],
          outputs: [quantized],
          attributes: {},
        },
        {
          opType: 'DequantizeLinear',
          name: graph.uniqueName(`${target}/DequantizeLinear`),
          inputs: [quantized, scaleName, zeroName],
          outputs: [dequantized],
          attributes: {},
        },
      ],
    });
    activationScales.set(dequantized, scale);
  }
  for (const node of graph.nodes) {
    if (!WEIGHTED_OPS.has(node.opType)) continue;
    const inputScale = activationScales.get(node.inputs[0] ?? '');
    const weight = graph.initializers.get(node.inputs[1] ?? '');
    if (inputScale === undefined || !weight || weight.type !== 'float32') continue;
    if (node.opType === 'Gemm' && (node.attributes.transA || node.attributes.transB)) continue;
    let values = weight.data as Float32Array;
    let dims = weight.dims;
    let axis = 0;
    if (node.opType === 'Gemm') {
      values = transpose2d(values, dims[0]!, dims[1]!);
      dims = [dims[1]!, dims[0]!];
      node.attributes.transB = 1;
    } else if (node.opType === 'MatMul') {
      axis = 1;
    }
    const quantized = quantizePerChannel(values, dims, axis);
    const channels = dims[axis]!;
    const weightDq = dequantize(graph, `${weight.name}`, {
      values: quantized.values,
      dims,
      scales: quantized.scales,
      axis,
      zeroType: 'int8',
    });
    node.inputs[1] = weightDq.output;
    inserted.push({ before: node, nodes: [weightDq.node] });
    const bias = graph.initializers.get(node.inputs[2] ?? '');
    if (bias && bias.type === 'float32' && bias.data.length === channels) {
      const biasScales = quantized.scales.map((scale) => scale * inputScale);
      const biasValues = Int32Array.from(bias.data as Float32Array, (value, index) =>
        Math.round(value / biasScales[index]!),
      );
      const biasDq = dequantize(graph, bias.name, {
        values: biasValues,
        dims: bias.dims,
        scales: biasScales,
        axis: 0,
        zeroType: 'int32',
      });
      node.inputs[2] = biasDq.output;
      inserted.push({ before: node, nodes: [biasDq.node] });
    }
  }
  for (const { before, nodes } of inserted) graph.insertBefore(before, ...nodes);
  graph.pruneInitializers();
}

function dequantize(
  graph: GraphBuilder,
  base: string,
  tensor: {
    values: Int8Array | Int32Array;
    dims: number[];
    scales: Float32Array;
    axis: number;
    zeroType: 'int8' | 'int32';
  },
): { node: GraphNode; output: string } {
  const values = graph.addInitializer(`${base}_quantized`, tensor.zeroType, tensor.dims, tensor.values);
  const scales = graph.addFloat(`${base}_scale`, [tensor.scales.length], tensor.scales);
  const zeros =
    tensor.zeroType === 'int8'
      ? new Int8Array(tensor.scales.length)
      : (new Int32Array(tensor.scales.length) as Initializer['data']);
  const zeroPoints = graph.addInitializer(
    `${base}_zero_point`,
    tensor.zeroType,
    [tensor.scales.length],
    zeros,
  );
  const output = graph.uniqueName(`${base}_dequantized`);
  return {
    output,
    node: {
      opType: 'DequantizeLinear',
      name: graph.uniqueName(`${base}/DequantizeLinear`),
      inputs: [values, scales, zeroPoints],
      outputs: [output],
      attributes: { axis: tensor.axis },
    },
  };
}
