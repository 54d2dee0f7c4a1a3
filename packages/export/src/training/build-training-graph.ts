import type * as tf from '@tensorflow/tfjs';
import { EXPORTER_VERSION } from '../convert.js';
import { GraphBuilder, irVersionForOpset, serializeModel } from '../graph/graph-builder.js';
import { createTrainerRegistry } from './layers/index.js';
import type { LayerStep, LayerTrainingContext, TrainValue } from './layers/types.js';
import { TO_CHANNELS_FIRST } from './layout.js';
import { crossEntropy } from './loss.js';
import { Ops } from './ops.js';
import { optimizerFor } from './optimizers/index.js';
import { updateWeights } from './optimizers/update-weights.js';
import type { TrainerRegistry } from './registry.js';
import { assertTrainable, shortWeightName } from './trainability.js';
import type {
  TrainingGraph,
  TrainingLoss,
  TrainingSettings,
  TrainingStateTensor,
  TrainingTensor,
} from './types.js';

/** The only opset the training graph is written in (ONNX 1.12's checker and onnxruntime-web take it). */
export const TRAINING_OPSET = 17;

interface SymbolicTensorLike {
  id: number;
  shape: (number | null)[];
}
interface NodeLike {
  inputTensors: SymbolicTensorLike[];
  outputTensors: SymbolicTensorLike[];
}

/**
 * The Conv2D calls without an activation whose output only an Activation('relu') layer reads (Keras models
 * that write the relu as its own layer), and those Activation calls. Such a conv trains with the relu fused,
 * as a Conv2D with `activation: 'relu'` would (its blocked Conv runs it, and a max-pool after it takes the
 * paths it has for a conv's output), and the Activation passes its input on: the same values and gradients.
 */
function fusedReluCalls<Call extends { layer: tf.layers.Layer; node: NodeLike }>(
  calls: Call[],
  modelOutputs: Set<number>,
): { convs: Set<Call>; reluLayers: Set<Call> } {
  const convs = new Set<Call>();
  const reluLayers = new Set<Call>();
  const configOf = (call: Call) => call.layer.getConfig() as Record<string, unknown>;
  for (const call of calls) {
    if (call.layer.getClassName() !== 'Conv2D' || (configOf(call).activation ?? 'linear') !== 'linear')
      continue;
    const output = call.node.outputTensors[0]!;
    if (modelOutputs.has(output.id)) continue;
    const readers = calls.filter(({ node }) => node.inputTensors.some((tensor) => tensor.id === output.id));
    const reader = readers[0];
    if (
      readers.length === 1 &&
      reader!.layer.getClassName() === 'Activation' &&
      configOf(reader!).activation === 'relu'
    ) {
      convs.add(call);
      reluLayers.add(reader!);
    }
  }
  return { convs, reluLayers };
}

/** One tfjs weight as the graph carries it. */
interface CarriedWeight {
  /** tfjs's `LayerVariable.name`. */
  weight: string;
  short: string;
  shape: number[];
  trainable: boolean;
  /** Graph input holding the current value. */
  input: string;
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_./:-]/g, '_');
}

function resolveLoss(settings: TrainingSettings): { loss: TrainingLoss; smoothing: number } {
  const loss = settings.loss ?? 'sparse-categorical-crossentropy';
  if (loss !== 'sparse-categorical-crossentropy' && loss !== 'categorical-crossentropy') {
    throw new RangeError(
      `'loss' must be sparse-categorical-crossentropy or categorical-crossentropy; got ${JSON.stringify(loss)}`,
    );
  }
  const smoothing = settings.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) {
    throw new RangeError(`'labelSmoothing' must be in [0, 1); got ${smoothing}`);
  }
  if (settings.opset !== undefined && settings.opset !== TRAINING_OPSET) {
    throw new RangeError(`'opset' must be ${TRAINING_OPSET} for a training graph; got ${settings.opset}`);
  }
  return { loss, smoothing };
}

/**
 * Gives graph value `value` the name `name` for a graph output: renames its producer's output (and its
 * readers) when it can, else adds an Identity.
 */
class OutputNamer {
  private readonly renamed = new Map<string, string>();
  constructor(private readonly graph: GraphBuilder) {}

  expose(value: string, name: string): void {
    const current = this.renamed.get(value) ?? value;
    const producer = this.graph.producer(current);
    const fixed =
      producer === undefined ||
      this.renamed.has(value) ||
      this.graph.inputs.some((input) => input.name === current) ||
      this.graph.initializers.has(current);
    if (fixed) {
      this.graph.nodes.push({
        opType: 'Identity',
        name: `${name}/Identity`,
        inputs: [current],
        outputs: [name],
        attributes: {},
      });
      return;
    }
    producer.outputs = producer.outputs.map((output) => (output === current ? name : output));
    for (const node of this.graph.nodes)
      node.inputs = node.inputs.map((input) => (input === current ? name : input));
    this.renamed.set(value, name);
  }
}

/**
 * Builds the ONNX graph of one training step of `model` (pure TypeScript: no onnxruntime, no file system).
 * Its inputs are the batch of images in the model's own input layout (NHWC for tfjs), the labels, the
 * learning rate, the step number (the optimizer's iteration count before this step), a seed for dropout
 * masks, every trainable parameter, its optimizer slots and the batch-norm moving statistics; its outputs
 * the mean loss, the number of correct predictions and the next value of everything carried. Parameters
 * and slots have tfjs's shapes and element order, and are listed in `state` in the orders of
 * `model.trainableWeights` and the tfjs optimizer's `getWeights()`, so weights and checkpoints move
 * between this graph and tfjs without reshuffling. Throws {@link UnsupportedLayerError} naming the first
 * layer it cannot train.
 *
 * @example
 * const step = buildTrainingGraph(model, { optimizer: 'adam', labelSmoothing: 0.1 });
 * step.inputs.map((input) => input.name); // ['images', 'labels', 'learning_rate', 'step', 'seed', 'conv2d_Conv2D1/kernel', …]
 * step.state[0]; // { kind: 'parameter', name: 'conv2d_Conv2D1/kernel', shape: [3, 3, 1, 32], input: 'conv2d_Conv2D1/kernel', output: 'conv2d_Conv2D1/kernel:next', … }
 */
export function buildTrainingGraph(
  model: tf.LayersModel,
  settings: TrainingSettings = {},
  options: { registry?: TrainerRegistry } = {},
): TrainingGraph {
  const registry = options.registry ?? createTrainerRegistry();
  const { loss, smoothing } = resolveLoss(settings);
  const { config: optimizer, settings: optimizerSettings } = optimizerFor(settings.optimizer);
  const resolvedOptimizer = optimizer.resolve(optimizerSettings);
  const slots = optimizer.slots(resolvedOptimizer);
  const block = settings.nchwcBlockSize;
  if (block !== undefined && !(Number.isInteger(block) && block >= 4 && (block & (block - 1)) === 0)) {
    throw new RangeError(
      `'nchwcBlockSize' must be a power of 2 from 4 (onnxruntime's NCHWc block), got ${block}`,
    );
  }
  if (block !== undefined && settings.webgpu) {
    throw new RangeError(
      "'nchwcBlockSize' is for onnxruntime's CPU provider, not a graph built with 'webgpu'",
    );
  }
  assertTrainable(model, registry);

  const graph = new GraphBuilder();
  const top = new Ops(graph, 'step');
  const imageShape = model.inputs[0]!.shape.slice(1) as number[];
  const classes = model.outputs[0]!.shape[1] as number;
  const inputs: TrainingTensor[] = [];
  const outputs: TrainingTensor[] = [];
  const addInput = (tensor: TrainingTensor): string => {
    graph.addInput({ name: tensor.name, type: tensor.type, shape: tensor.shape });
    inputs.push(tensor);
    return tensor.name;
  };
  const names = {
    images: addInput({ name: 'images', role: 'images', type: 'float32', shape: ['batch', ...imageShape] }),
    labels: addInput(
      loss === 'sparse-categorical-crossentropy'
        ? { name: 'labels', role: 'labels', type: 'int32', shape: ['batch'] }
        : { name: 'labels', role: 'labels', type: 'float32', shape: ['batch', classes] },
    ),
    learningRate: addInput({ name: 'learning_rate', role: 'learning-rate', type: 'float32', shape: [] }),
    step: addInput({ name: 'step', role: 'step', type: 'float32', shape: [] }),
    seed: addInput({ name: 'seed', role: 'seed', type: 'int32', shape: [] }),
    loss: graph.uniqueName('loss'),
    correct: graph.uniqueName('correct'),
  };

  // Every weight, as a graph input: trainable ones in model.trainableWeights order, then the statistics.
  const carried = new Map<string, CarriedWeight>();
  const weightsOfLayer = new Map<tf.layers.Layer, Map<string, CarriedWeight>>();
  for (const layer of model.layers) {
    const byShort = new Map<string, CarriedWeight>();
    for (const variable of layer.weights) {
      const entry: CarriedWeight = {
        weight: variable.name,
        short: shortWeightName(variable.originalName),
        shape: [...variable.shape] as number[],
        trainable: variable.trainable,
        input: '',
      };
      byShort.set(entry.short, entry);
      carried.set(variable.name, entry);
    }
    weightsOfLayer.set(layer, byShort);
  }
  const trainable = model.trainableWeights.map((variable) => carried.get(variable.name)!);
  const statistics = model.nonTrainableWeights.map((variable) => carried.get(variable.name)!);
  for (const entry of trainable) {
    entry.input = addInput({
      name: sanitize(entry.weight),
      role: 'parameter',
      type: 'float32',
      shape: entry.shape,
      weight: entry.weight,
    });
  }
  const slotInputs = new Map<string, string>();
  for (const slot of slots) {
    for (const entry of trainable) {
      const name = addInput({
        name: sanitize(`${entry.weight}/${slot}`),
        role: 'slot',
        type: 'float32',
        shape: entry.shape,
        weight: entry.weight,
        slot,
      });
      slotInputs.set(`${entry.weight}/${slot}`, name);
    }
  }
  for (const entry of statistics) {
    entry.input = addInput({
      name: sanitize(entry.weight),
      role: 'statistic',
      type: 'float32',
      shape: entry.shape,
      weight: entry.weight,
    });
  }

  // Forward, layer call by layer call in dependency order.
  const values = new Map<number, TrainValue>();
  const needsGradient = new Map<number, boolean>();
  const input = model.inputs[0]!;
  const imageValue = imageShape.length === 3 ? top.transpose(names.images, TO_CHANNELS_FIRST) : names.images;
  values.set(input.id, { name: imageValue, shape: input.shape });
  needsGradient.set(input.id, false);

  const gradients = new Map<string, string[]>();
  const nextValues = new Map<string, string>();
  const debug: { tensor: TrainingTensor; value: string }[] = [];
  const calls: { layer: tf.layers.Layer; node: NodeLike; step?: LayerStep }[] = [];
  for (const layer of model.layers) {
    for (const node of layer.inboundNodes as unknown as NodeLike[]) calls.push({ layer, node });
  }
  const fused = fusedReluCalls(calls, new Set(model.outputs.map((tensor) => tensor.id)));
  const pending = calls.filter(({ layer }) => layer.getClassName() !== 'InputLayer');
  const done: typeof calls = [];
  while (pending.length > 0) {
    const index = pending.findIndex(({ node }) => node.inputTensors.every((tensor) => values.has(tensor.id)));
    if (index < 0) throw new Error('the model has layers that cannot be reached from its input');
    const call = pending.splice(index, 1)[0]!;
    const { layer, node } = call;
    const layerWeights = weightsOfLayer.get(layer)!;
    const layerName = sanitize(layer.name);
    const context: LayerTrainingContext = {
      graph,
      ops: new Ops(graph, layerName),
      className: layer.getClassName(),
      layerName,
      config: {
        ...(layer.getConfig() as Record<string, unknown>),
        ...(fused.convs.has(call) ? { activation: 'relu' } : {}),
      },
      inputs: node.inputTensors.map((tensor) => values.get(tensor.id)!),
      outputShapes: node.outputTensors.map((tensor) => tensor.shape),
      inputsNeedGradient: node.inputTensors.map((tensor) => needsGradient.get(tensor.id) ?? false),
      weight: (short) => {
        const entry = layerWeights.get(short);
        return entry ? { name: entry.input, shape: entry.shape } : undefined;
      },
      addGradient: (short, gradient) => {
        const entry = layerWeights.get(short);
        if (!entry?.trainable) throw new Error(`layer '${layer.name}' has no trainable weight '${short}'`);
        gradients.set(entry.weight, [...(gradients.get(entry.weight) ?? []), gradient]);
      },
      setNextValue: (short, value) => {
        const entry = layerWeights.get(short);
        if (!entry || entry.trainable) throw new Error(`layer '${layer.name}' has no statistic '${short}'`);
        nextValues.set(entry.weight, value);
      },
      groupedWindows: !settings.webgpu,
      nchwcBlockSize: settings.nchwcBlockSize ?? null,
      seed: names.seed,
      randomStream: done.length,
      debugOutput: (role, value, shape) => {
        if (!settings.debugOutputs) return;
        debug.push({
          tensor: {
            name: graph.uniqueName(`${layerName}:dropout_mask`),
            role,
            type: 'float32',
            shape,
            layer: layer.name,
          },
          value,
        });
      },
    };
    call.step = fused.reluLayers.has(call)
      ? { outputs: [context.inputs[0]!], backward: ([gradient]) => [gradient] }
      : registry.get(context.className).forward(context);
    const dependsOnWeights = layer.trainableWeights.length > 0 || context.inputsNeedGradient.some(Boolean);
    node.outputTensors.forEach((tensor, outputIndex) => {
      const value = call.step!.outputs[outputIndex];
      if (!value)
        throw new Error(`the trainer of '${context.className}' returned no value for output ${outputIndex}`);
      values.set(tensor.id, value);
      needsGradient.set(tensor.id, dependsOnWeights);
    });
    done.push(call);
  }

  // The loss on the model's output, then backward through the calls in reverse.
  const output = model.outputs[0]!;
  const probabilities = values.get(output.id)!;
  const lossStep = crossEntropy(
    top.scope('loss'),
    probabilities.name,
    names.labels,
    loss,
    smoothing,
    classes,
  );
  const valueGradients = new Map<number, string[]>([[output.id, [lossStep.gradient]]]);
  for (const { layer, node, step } of [...done].reverse()) {
    const ops = new Ops(graph, `${sanitize(layer.name)}/grad`);
    const outputGradients = node.outputTensors.map((tensor) => {
      const parts = valueGradients.get(tensor.id);
      return parts === undefined ? undefined : ops.sum(parts);
    });
    if (outputGradients.every((gradient) => gradient === undefined)) continue;
    const inputGradients = step!.backward(outputGradients);
    node.inputTensors.forEach((tensor, index) => {
      const gradient = inputGradients[index];
      if (gradient !== undefined)
        valueGradients.set(tensor.id, [...(valueGradients.get(tensor.id) ?? []), gradient]);
    });
  }

  // The optimizer's update of every trainable weight, and the statistics' next values.
  const optimizerOps = top.scope(`optimizer/${resolvedOptimizer.name}`);
  const shared =
    optimizer.prepare?.(optimizerOps, resolvedOptimizer, {
      learningRate: names.learningRate,
      step: names.step,
    }) ?? {};
  const state: TrainingStateTensor[] = [];
  const namer = new OutputNamer(graph);
  const finalValues: { name: string; value: string; tensor: TrainingTensor }[] = [];
  const nextName = (name: string) => graph.uniqueName(`${name}:next`);
  const slotNext = new Map<string, string>();
  // Each weight's summed gradient (debug outputs list it), then its update.
  const scoped = (name: string) => optimizerOps.scope(`${optimizerOps.prefix}/${sanitize(name)}`);
  const slotsOf = (entry: CarriedWeight) =>
    Object.fromEntries(slots.map((slot) => [slot, slotInputs.get(`${entry.weight}/${slot}`)!]));
  const weightGradients = new Map<string, string>();
  for (const entry of trainable) {
    const parts = gradients.get(entry.weight);
    if (parts === undefined) continue;
    const gradient = scoped(entry.weight).sum(parts);
    weightGradients.set(entry.weight, gradient);
    if (settings.debugOutputs) {
      debug.push({
        tensor: {
          name: graph.uniqueName(`${sanitize(entry.weight)}:gradient`),
          role: 'gradient',
          type: 'float32',
          shape: entry.shape,
          weight: entry.weight,
        },
        value: gradient,
      });
    }
  }
  const updates = updateWeights(
    scoped,
    trainable.filter((entry) => weightGradients.has(entry.weight)),
    (entry) => ({
      value: entry.input,
      gradient: weightGradients.get(entry.weight)!,
      slots: slotsOf(entry),
      learningRate: names.learningRate,
      step: names.step,
    }),
    (ops, input) => optimizer.update(ops, resolvedOptimizer, input, shared),
  );
  for (const entry of trainable) {
    const updated = updates.get(entry.weight);
    const next = updated?.value ?? entry.input;
    const nextSlots = updated?.slots ?? slotsOf(entry);
    const name = nextName(entry.input);
    finalValues.push({
      name,
      value: next,
      tensor: { name, role: 'parameter', type: 'float32', shape: entry.shape, weight: entry.weight },
    });
    state.push({
      kind: 'parameter',
      name: entry.weight,
      weight: entry.weight,
      shape: entry.shape,
      input: entry.input,
      output: name,
    });
    for (const slot of slots) slotNext.set(`${entry.weight}/${slot}`, nextSlots[slot]!);
  }
  for (const slot of slots) {
    for (const entry of trainable) {
      const key = `${entry.weight}/${slot}`;
      const inputName = slotInputs.get(key)!;
      const name = nextName(inputName);
      finalValues.push({
        name,
        value: slotNext.get(key)!,
        tensor: { name, role: 'slot', type: 'float32', shape: entry.shape, weight: entry.weight, slot },
      });
      state.push({
        kind: 'slot',
        name: key,
        weight: entry.weight,
        slot,
        shape: entry.shape,
        input: inputName,
        output: name,
      });
    }
  }
  for (const entry of statistics) {
    const name = nextName(entry.input);
    finalValues.push({
      name,
      value: nextValues.get(entry.weight) ?? entry.input,
      tensor: { name, role: 'statistic', type: 'float32', shape: entry.shape, weight: entry.weight },
    });
    state.push({
      kind: 'statistic',
      name: entry.weight,
      weight: entry.weight,
      shape: entry.shape,
      input: entry.input,
      output: name,
    });
  }

  const exposed: { name: string; value: string; tensor: TrainingTensor }[] = [
    {
      name: names.loss,
      value: lossStep.loss,
      tensor: { name: names.loss, role: 'loss', type: 'float32', shape: [] },
    },
    {
      name: names.correct,
      value: lossStep.correct,
      tensor: { name: names.correct, role: 'correct', type: 'float32', shape: [] },
    },
    ...finalValues,
    ...debug.map(({ tensor, value }) => ({ name: tensor.name, value, tensor })),
  ];
  for (const { name, value, tensor } of exposed) {
    namer.expose(value, name);
    graph.addOutput({ name, type: tensor.type, shape: tensor.shape });
    outputs.push(tensor);
  }
  graph.pruneUnreadNodes();
  graph.dedupeInitializers();
  graph.pruneInitializers();

  const bytes = serializeModel(graph, {
    opset: TRAINING_OPSET,
    irVersion: irVersionForOpset(TRAINING_OPSET),
    producerName: 'cnnx',
    producerVersion: EXPORTER_VERSION,
    graphName: `${sanitize(model.name || 'model')}_training_step`,
    docString: `One training step of the TensorFlow.js Layers model '${model.name}' (${loss}, ${resolvedOptimizer.name}), written by cnnx ${EXPORTER_VERSION}.`,
    metadata: {
      'cnnx.training': JSON.stringify({ loss, labelSmoothing: smoothing, optimizer: resolvedOptimizer }),
    },
  });
  return {
    bytes,
    opset: TRAINING_OPSET,
    inputs,
    outputs,
    state,
    optimizer: resolvedOptimizer as TrainingGraph['optimizer'],
    slots,
    loss,
    labelSmoothing: smoothing,
    classes,
    imageShape,
    names,
    webgpu: settings.webgpu ?? false,
    nchwcBlockSize: settings.nchwcBlockSize ?? null,
    loop: false,
  };
}
