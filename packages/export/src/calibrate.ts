// Node only: measures activation ranges for int8 quantization by running the float model with onnxruntime-node.
import type * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { buildGraph } from './convert.js';
import { irVersionForOpset, serializeModel } from './graph/graph-builder.js';
import { calibrationTargets } from './quantize/int8.js';
import { nhwcToNchw } from './random.js';
import type { ConvertOptions, TensorRange } from './types.js';

/** How ranges are read: the extreme values, or the 0.001 % / 99.999 % percentiles (robust to outliers). */
export type CalibrationMethod = 'minmax' | 'percentile';

const SAMPLE_LIMIT = 1 << 20;

/**
 * Runs the float graph on the calibration images and returns the range of every activation int8
 * quantization needs. Images are NHWC, as the tfjs model takes them, `n × (input size)` floats.
 *
 * @example
 * const ranges = await measureRanges(model, images, { method: 'minmax' });
 * ranges.get('input'); // { min: 0, max: 1 }
 */
export async function measureRanges(
  model: tf.LayersModel,
  images: Float32Array,
  options: Pick<ConvertOptions, 'opset' | 'inputLayout'> & {
    method?: CalibrationMethod;
    batchSize?: number;
  } = {},
): Promise<Map<string, TensorRange>> {
  if (model.inputs.length !== 1) throw new RangeError('int8 calibration supports models with one input');
  const method = options.method ?? 'minmax';
  if (method !== 'minmax' && method !== 'percentile') {
    throw new RangeError(`'method' must be 'minmax' or 'percentile', got ${JSON.stringify(method)}`);
  }
  const tail = model.inputs[0]!.shape.slice(1).map((dim) => dim ?? 1);
  const size = tail.reduce((product, dim) => product * dim, 1);
  if (!(images instanceof Float32Array) || images.length === 0 || images.length % size !== 0) {
    throw new RangeError(
      `'calibration' must hold a whole number of ${size}-float images, got ${images?.length}`,
    );
  }
  const graph = buildGraph(model, options);
  const targets = calibrationTargets(graph);
  const outputNames = new Set(graph.outputs.map((output) => output.name));
  for (const target of targets)
    if (!outputNames.has(target)) graph.addOutput({ name: target, type: 'float32' });
  const opset = options.opset ?? 17;
  const bytes = serializeModel(graph, {
    opset,
    irVersion: irVersionForOpset(opset),
    producerName: 'cnnx',
    producerVersion: 'calibration',
    graphName: 'calibration',
    docString: '',
    metadata: {},
  });
  const session = await ort.InferenceSession.create(bytes);
  const ranges = new Map<string, TensorRange>(
    targets.map((target) => [target, { min: Infinity, max: -Infinity }]),
  );
  const samples = new Map<string, number[]>(targets.map((target) => [target, []]));
  const count = images.length / size;
  const batchSize = options.batchSize ?? 64;
  const channelsFirst = options.inputLayout === 'nchw' && tail.length === 3;
  try {
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const batch = images.subarray(start * size, (start + n) * size);
      const shape = [n, ...tail];
      const tensor = channelsFirst
        ? new ort.Tensor('float32', nhwcToNchw(batch, shape), [n, tail[2]!, tail[0]!, tail[1]!])
        : new ort.Tensor('float32', batch, shape);
      const results = await session.run({ [session.inputNames[0]!]: tensor }, targets);
      for (const target of targets) {
        const values = results[target]!.data as Float32Array;
        const range = ranges.get(target)!;
        for (let index = 0; index < values.length; index++) {
          const value = values[index]!;
          if (value < range.min) range.min = value;
          if (value > range.max) range.max = value;
        }
        if (method === 'percentile') {
          const kept = samples.get(target)!;
          const stride = Math.max(1, Math.ceil((values.length * count) / n / SAMPLE_LIMIT));
          for (let index = 0; index < values.length; index += stride) kept.push(values[index]!);
        }
      }
    }
  } finally {
    await session.release();
  }
  if (method === 'percentile') {
    for (const target of targets) {
      const sorted = Float32Array.from(samples.get(target)!).sort();
      const at = (fraction: number): number =>
        sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
      ranges.set(target, { min: at(0.00001), max: at(0.99999) });
    }
  }
  return ranges;
}
