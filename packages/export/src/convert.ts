import { parseInputScale } from '@cnnx/data/browser';
import type * as tf from '@tensorflow/tfjs';
import { createDefaultRegistry } from './converters/index.js';
import type { ConverterRegistry } from './converters/registry.js';
import type { ConversionContext, LayerWeight, ValueRef } from './converters/types.js';
import { NonFiniteWeightError } from './errors.js';
import { GraphBuilder, irVersionForOpset, serializeModel } from './graph/graph-builder.js';
import { quantizeGraph } from './quantize/quantize.js';
import type { ConvertOptions } from './types.js';

/** The version written as `producer_version`. */
export const EXPORTER_VERSION = '0.1.0';
/** The opsets the exporter writes. */
export const SUPPORTED_OPSETS = { min: 13, max: 21, default: 17 } as const;

interface SymbolicTensorLike {
  id: number;
  shape: (number | null)[];
}
interface NodeLike {
  inputTensors: SymbolicTensorLike[];
  outputTensors: SymbolicTensorLike[];
}

function layerWeights(layer: tf.layers.Layer): Map<string, LayerWeight> {
  const weights = new Map<string, LayerWeight>();
  for (const variable of layer.weights) {
    const short = variable.originalName
      .slice(variable.originalName.lastIndexOf('/') + 1)
      .replace(/_\d+$/, '');
    const tensor = variable.read();
    const values = Float32Array.from(tensor.dataSync() as Float32Array);
    const bad = values.findIndex((value) => !Number.isFinite(value));
    if (bad !== -1) throw new NonFiniteWeightError(layer.name, variable.originalName, bad, values[bad]!);
    weights.set(short, { shape: [...tensor.shape], values });
  }
  return weights;
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Layout-changing helpers shared by every converter call; each conversion is memoised per value. */
class LayoutCache {
  private readonly native = new Map<string, ValueRef>();
  private readonly channelsFirst = new Map<string, ValueRef>();
  constructor(private readonly graph: GraphBuilder) {}

  toNative(ref: ValueRef): ValueRef {
    if (ref.layout === 'native' && !ref.flattenedFrom) return ref;
    const cached = this.native.get(ref.name);
    if (cached) return cached;
    let name: string;
    if (ref.flattenedFrom) {
      const dims = ref.flattenedFrom;
      const channels = dims[dims.length - 1]!;
      const spatial = dims.slice(0, -1);
      const unflat = this.graph.addNode(
        'Reshape',
        [ref.name, this.graph.addInt64('shape', [0, channels, ...spatial])],
        { name: 'unflatten' },
      );
      const perm = [0, ...spatial.map((_, index) => index + 2), 1];
      const moved = this.graph.addNode('Transpose', [unflat], { name: 'to_nhwc', attributes: { perm } });
      name = this.graph.addNode('Reshape', [moved, this.graph.addInt64('shape', [0, -1])], {
        name: 'reflatten',
      });
    } else {
      const rank = ref.shape.length;
      const perm = [0, ...Array.from({ length: rank - 2 }, (_, index) => index + 2), 1];
      name = this.graph.addNode('Transpose', [ref.name], { name: 'to_nhwc', attributes: { perm } });
    }
    const result: ValueRef = { name, shape: ref.shape, layout: 'native' };
    this.native.set(ref.name, result);
    return result;
  }

  toChannelsFirst(ref: ValueRef): ValueRef {
    if (ref.layout === 'channels-first') return ref;
    if (ref.flattenedFrom) throw new RangeError('a flattened value cannot be made channels-first');
    const cached = this.channelsFirst.get(ref.name);
    if (cached) return cached;
    const rank = ref.shape.length;
    const perm = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, index) => index + 1)];
    const name = this.graph.addNode('Transpose', [ref.name], { name: 'to_nchw', attributes: { perm } });
    const result: ValueRef = { name, shape: ref.shape, layout: 'channels-first' };
    this.channelsFirst.set(ref.name, result);
    return result;
  }
}

function resolveOpset(opset: number | undefined): number {
  const value = opset ?? SUPPORTED_OPSETS.default;
  if (!Number.isInteger(value) || value < SUPPORTED_OPSETS.min || value > SUPPORTED_OPSETS.max) {
    throw new RangeError(
      `'opset' must be an integer from ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max}, got ${opset}`,
    );
  }
  return value;
}

/**
 * Converts an in-memory tfjs Layers model into a graph (pure: no file system, no native code).
 *
 * @example
 * const graph = buildGraph(model, { inputLayout: 'nhwc' });
 * graph.nodes.map((node) => node.opType); // ['Transpose', 'Conv', 'Relu', 'MaxPool', ...]
 */
export function buildGraph(
  model: tf.LayersModel,
  options: Pick<ConvertOptions, 'inputLayout' | 'opset'> & { registry?: ConverterRegistry } = {},
): GraphBuilder {
  const registry = options.registry ?? createDefaultRegistry();
  const opset = resolveOpset(options.opset);
  const inputLayout = options.inputLayout ?? 'nhwc';
  if (inputLayout !== 'nhwc' && inputLayout !== 'nchw') {
    throw new RangeError(`'inputLayout' must be 'nhwc' or 'nchw', got ${JSON.stringify(inputLayout)}`);
  }
  // Fail before any work if a layer has no converter: the error names it and lists the supported ones.
  for (const layer of model.layers) registry.get(layer.getClassName());

  const graph = new GraphBuilder();
  const layout = new LayoutCache(graph);
  const values = new Map<number, ValueRef>();
  const single = model.inputs.length === 1;
  model.inputs.forEach((input, index) => {
    const shape = input.shape;
    const name = single ? 'input' : sanitize(model.inputNames[index] ?? `input_${index}`);
    const channelsFirst = inputLayout === 'nchw' && shape.length >= 3;
    const tail = shape.slice(1).map((dim, axis) => {
      if (typeof dim !== 'number')
        throw new RangeError(`model input ${index} has an unknown dimension ${axis + 1}`);
      return dim;
    });
    const onnxTail = channelsFirst ? [tail[tail.length - 1]!, ...tail.slice(0, -1)] : tail;
    graph.addInput({ name, type: 'float32', shape: ['batch', ...onnxTail] });
    values.set(input.id, { name, shape, layout: channelsFirst ? 'channels-first' : 'native' });
  });

  const outputIds = new Set(model.outputs.map((output) => output.id));
  const consumerCount = new Map<number, number>();
  const calls: { layer: tf.layers.Layer; node: NodeLike }[] = [];
  for (const layer of model.layers) {
    for (const node of layer.inboundNodes as unknown as NodeLike[]) {
      calls.push({ layer, node });
      for (const input of node.inputTensors)
        consumerCount.set(input.id, (consumerCount.get(input.id) ?? 0) + 1);
    }
  }
  const weightsByLayer = new Map<tf.layers.Layer, Map<string, LayerWeight>>();
  const pending = calls.filter(({ layer }) => layer.getClassName() !== 'InputLayer');
  while (pending.length > 0) {
    const index = pending.findIndex(({ node }) => node.inputTensors.every((input) => values.has(input.id)));
    if (index < 0) break;
    const [{ layer, node }] = pending.splice(index, 1) as [{ layer: tf.layers.Layer; node: NodeLike }];
    const className = layer.getClassName();
    let weights = weightsByLayer.get(layer);
    if (!weights) {
      weights = layerWeights(layer);
      weightsByLayer.set(layer, weights);
    }
    const firstOutput = node.outputTensors[0]!;
    const context: ConversionContext = {
      graph,
      opset,
      className,
      layerName: sanitize(layer.name),
      config: layer.getConfig() as Record<string, unknown>,
      inputs: node.inputTensors.map((input) => values.get(input.id)!),
      outputShapes: node.outputTensors.map((output) => output.shape),
      weight: (name) => weights.get(name),
      toNative: (ref) => layout.toNative(ref),
      toChannelsFirst: (ref) => layout.toChannelsFirst(ref),
      outputHasSingleConsumer:
        (consumerCount.get(firstOutput.id) ?? 0) === 1 && !outputIds.has(firstOutput.id),
      inputsFoldable: node.inputTensors.map(
        (input) => (consumerCount.get(input.id) ?? 0) === 1 && !outputIds.has(input.id),
      ),
    };
    const produced = registry.get(className)(context);
    const refs = Array.isArray(produced) ? produced : [produced];
    node.outputTensors.forEach((output, outputIndex) => {
      const ref = refs[outputIndex];
      if (!ref) throw new Error(`converter for '${className}' returned no value for output ${outputIndex}`);
      values.set(output.id, ref);
    });
  }

  const singleOutput = model.outputs.length === 1;
  model.outputs.forEach((output, index) => {
    const ref = values.get(output.id);
    if (!ref) throw new Error(`model output ${index} could not be reached from the model's inputs`);
    const native = layout.toNative(ref);
    const name = singleOutput ? 'output' : sanitize(model.outputNames[index] ?? `output_${index}`);
    const isInput = graph.inputs.some((input) => input.name === native.name);
    const alreadyOutput = graph.outputs.some((existing) => existing.name === native.name);
    if (isInput || alreadyOutput) {
      graph.addNode('Identity', [native.name], { name: `${name}/Identity` });
      const last = graph.nodes[graph.nodes.length - 1]!;
      last.outputs = [name];
    } else {
      for (const node of graph.nodes) {
        node.outputs = node.outputs.map((value) => (value === native.name ? name : value));
        node.inputs = node.inputs.map((value) => (value === native.name ? name : value));
      }
    }
    const shape = output.shape.slice(1).map((dim) => dim ?? -1);
    graph.addOutput({ name, type: 'float32', shape: ['batch', ...shape] });
  });
  graph.pruneInitializers();
  return graph;
}

function validateMetadata(options: ConvertOptions): void {
  const { classNames, inputScale, runId } = options;
  if (
    classNames !== undefined &&
    (!Array.isArray(classNames) || classNames.some((name) => typeof name !== 'string'))
  ) {
    throw new TypeError(`'classNames' must be an array of strings, got ${JSON.stringify(classNames)}`);
  }
  if (inputScale !== undefined) parseInputScale(String(inputScale), "'inputScale'");
  if (runId !== undefined && typeof runId !== 'string') {
    throw new TypeError(`'runId' must be a string, got ${JSON.stringify(runId)}`);
  }
}

/**
 * Converts an in-memory tfjs Layers model to ONNX bytes (pure: no file system, no native code).
 *
 * @example
 * const bytes = convertToOnnx(model, { opset: 17, classNames: ['0', '1'] });
 * readOnnx(bytes).opset; // 17
 */
export function convertToOnnx(model: tf.LayersModel, options: ConvertOptions = {}): Uint8Array {
  validateMetadata(options);
  const graph = buildGraph(model, options);
  const opset = resolveOpset(options.opset);
  if (options.quantize) quantizeGraph(graph, options.quantize, options.calibrationRanges);
  graph.dedupeInitializers();
  const metadata: Record<string, string> = {
    'cnnx.input_layout': options.inputLayout ?? 'nhwc',
    'cnnx.input_scale': options.inputScale ?? 'unit',
  };
  if (options.classNames) metadata['cnnx.class_names'] = JSON.stringify(options.classNames);
  if (options.runId) metadata['cnnx.run_id'] = options.runId;
  if (options.quantize) metadata['cnnx.quantize'] = options.quantize;
  return serializeModel(graph, {
    opset,
    irVersion: irVersionForOpset(opset),
    producerName: 'cnnx',
    producerVersion: EXPORTER_VERSION,
    graphName: sanitize(model.name || 'model'),
    docString: `Exported by cnnx ${EXPORTER_VERSION} from the TensorFlow.js Layers model '${model.name}'.`,
    metadata,
  });
}
