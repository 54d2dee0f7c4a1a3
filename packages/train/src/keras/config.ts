// Keras model configs (Keras 2, tf.keras 2 and Keras 3, as legacy HDF5 and .keras files hold them) →
// the Keras 2 form that TensorFlow.js's `modelFromJSON` reads. Pure: no files, no tfjs.
import { KerasFormatError, UnsupportedLayerError } from './errors.js';
import {
  ACTIVATION_NAMES,
  COMMON_KEYS,
  type JsonObject,
  type JsonValue,
  LAYER_RULES,
  SUPPORTED_KERAS_LAYERS,
} from './layers.js';

/** One layer as Keras saved it: its name and Keras class, in the config's order. */
export interface KerasLayerInfo {
  name: string;
  className: string;
}

/** A Keras config translated for TensorFlow.js, with what the reader changed on the way. */
export interface TranslatedConfig {
  /** `{class_name, config}` in the Keras 2 form `tf.models.modelFromJSON` reads. */
  topology: JsonObject;
  /** The model's name in the file. */
  modelName: string;
  /** Keras's own layers, in the config's order (Keras 3 numbers its weight folders by this order). */
  layers: KerasLayerInfo[];
  /** The input shape the file declares, batch axis first (`null` = any size). */
  kerasInputShape: (number | null)[] | null;
  /** The input shape of the translated model (a channel axis added where the file had none). */
  inputShape: (number | null)[] | null;
  /** Names of layers the reader added (a reshape after the input, a final softmax). */
  addedLayers: string[];
  /** The scale and offset of a Rescaling layer that comes first after the input, if one does. */
  leadingRescaling: { scale: number; offset: number } | null;
  /** What the reader changed or dropped, one sentence each. */
  notes: string[];
}

interface Context {
  file: string;
  /** Keras 3 files compute `hard_sigmoid` differently from Keras 2 and TensorFlow.js. */
  keras3: boolean;
  notes: string[];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function fail(context: Context, reason: string): never {
  throw new KerasFormatError(context.file, reason);
}

function unsupported(context: Context, layer: string, className: string, detail?: string): never {
  throw new UnsupportedLayerError({
    className,
    name: layer,
    refusedBy: 'the Keras reader',
    supported: SUPPORTED_KERAS_LAYERS,
    file: context.file,
    ...(detail === undefined ? {} : { detail }),
  });
}

/** A shape as Keras writes it (`[null, 28, 28, 1]`), checked. */
function readShape(context: Context, where: string, value: unknown): (number | null)[] {
  if (
    !Array.isArray(value) ||
    value.some((size) => size !== null && !(Number.isInteger(size) && (size as number) >= 0))
  ) {
    fail(context, `${where}: expected a shape such as [null, 28, 28, 1], found ${JSON.stringify(value)}`);
  }
  return value as (number | null)[];
}

// Initializers, regularizers and constraints: TensorFlow.js knows most of Keras's under the same class
// names. The weights come from the file, so an initializer TensorFlow.js lacks is simply left out.
const INITIALIZERS: Readonly<Record<string, string>> = {
  Zeros: 'Zeros',
  Ones: 'Ones',
  Constant: 'Constant',
  RandomUniform: 'RandomUniform',
  RandomNormal: 'RandomNormal',
  TruncatedNormal: 'TruncatedNormal',
  Identity: 'Identity',
  VarianceScaling: 'VarianceScaling',
  GlorotUniform: 'GlorotUniform',
  GlorotNormal: 'GlorotNormal',
  HeNormal: 'HeNormal',
  HeUniform: 'HeUniform',
  LecunNormal: 'LeCunNormal',
  LecunUniform: 'LeCunUniform',
  LeCunNormal: 'LeCunNormal',
  LeCunUniform: 'LeCunUniform',
  Orthogonal: 'Orthogonal',
};
const CONSTRAINTS = new Set(['MaxNorm', 'NonNeg', 'UnitNorm', 'MinMaxNorm']);

function numberOr(value: JsonValue | undefined, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

/** A Keras object (`{module?, class_name, config, registered_name?}`) or a bare name. */
function objectParts(value: JsonValue): { className: string; config: JsonObject } | null {
  if (typeof value === 'string') return { className: value, config: {} };
  if (isObject(value) && typeof value.class_name === 'string') {
    return { className: value.class_name, config: isObject(value.config) ? value.config : {} };
  }
  return null;
}

function translateInitializer(value: JsonValue): JsonValue | undefined {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  const parts = objectParts(value);
  const className = parts && INITIALIZERS[parts.className];
  if (!parts || !className) return undefined;
  return { class_name: className, config: parts.config };
}

function translateRegularizer(context: Context, where: string, value: JsonValue): JsonValue | undefined {
  if (value === null) return null;
  const parts = objectParts(value);
  const kind = parts?.className.toLowerCase();
  if (parts && (kind === 'l1' || kind === 'l2' || kind === 'l1l2')) {
    const l1 = kind === 'l2' ? 0 : numberOr(parts.config.l1, kind === 'l1' ? 0.01 : 0);
    const l2 = kind === 'l1' ? 0 : numberOr(parts.config.l2, kind === 'l2' ? 0.01 : 0);
    return { class_name: 'L1L2', config: { l1, l2 } };
  }
  context.notes.push(
    `${where}: regularizer ${parts?.className ?? JSON.stringify(value)} dropped (fine-tuning trains without it)`,
  );
  return undefined;
}

function translateConstraint(context: Context, where: string, value: JsonValue): JsonValue | undefined {
  if (value === null) return null;
  const parts = objectParts(value);
  if (parts && CONSTRAINTS.has(parts.className)) return { class_name: parts.className, config: parts.config };
  context.notes.push(
    `${where}: constraint ${parts?.className ?? JSON.stringify(value)} dropped (fine-tuning trains without it)`,
  );
  return undefined;
}

function translateActivation(context: Context, layer: string, className: string, value: JsonValue): string {
  const name = value === null ? 'linear' : value;
  if (typeof name === 'string') {
    if (ACTIVATION_NAMES[name]) return ACTIVATION_NAMES[name];
    if (name === 'hard_sigmoid' && !context.keras3) return 'hard_sigmoid';
  }
  unsupported(
    context,
    layer,
    className,
    `activation ${JSON.stringify(name)}; the reader supports ${Object.keys(ACTIVATION_NAMES).join(', ')}`,
  );
}

/** `dtype` may be a string or a Keras 3 dtype policy; every layer computes in float32 here. */
function translateDtype(context: Context, layer: string, value: JsonValue): string {
  let name = value;
  if (isObject(value)) name = isObject(value.config) ? (value.config.name ?? null) : (value.name ?? null);
  if (typeof name === 'string' && /float/.test(name) && name !== 'float32') {
    context.notes.push(`layer '${layer}': dtype ${name} computed in float32`);
  }
  return 'float32';
}

/** Unwraps one entry of a model's `layers` list. */
function layerParts(
  context: Context,
  entry: JsonValue | undefined,
  index: number,
): { className: string; config: JsonObject; raw: JsonObject } {
  if (!isObject(entry) || typeof entry.class_name !== 'string' || !isObject(entry.config)) {
    fail(context, `layer ${index} of the model config is not a {class_name, config} object`);
  }
  return { className: entry.class_name, config: entry.config, raw: entry };
}

/** One Keras layer entry → the TensorFlow.js-readable entry (same name). */
function translateLayer(context: Context, entry: JsonValue | undefined, index: number): JsonObject {
  const { className, config, raw } = layerParts(context, entry, index);
  const name = typeof config.name === 'string' ? config.name : typeof raw.name === 'string' ? raw.name : '';
  if (name === '') fail(context, `layer ${index} (${className}) has no name`);
  const registered = raw.registered_name;
  if (typeof registered === 'string' && registered.includes('>')) {
    unsupported(context, name, className, `a custom layer registered as '${registered}'`);
  }
  if (typeof raw.module === 'string' && !/^(keras|tf_keras|tensorflow)\b/.test(raw.module)) {
    unsupported(context, name, className, `a custom layer from module '${raw.module}'`);
  }
  const rule = LAYER_RULES[className];
  if (!rule) unsupported(context, name, className);

  const out: JsonObject = {};
  const where = `layer '${name}' (${className})`;
  for (const [rawKey, value] of Object.entries(config)) {
    const key = rule.renamed?.[rawKey] ?? (rawKey === 'batch_shape' ? 'batch_input_shape' : rawKey);
    if (key === 'name') out.name = name;
    else if (key === 'trainable') out.trainable = value;
    else if (key === 'dtype') out.dtype = translateDtype(context, name, value);
    else if (key === 'batch_input_shape') {
      if (value !== null) out.batch_input_shape = readShape(context, `${where} batch_input_shape`, value);
    } else if (rule.fixed && key in rule.fixed) {
      if (!sameJson(value, rule.fixed[key]))
        unsupported(context, name, className, `${key} = ${JSON.stringify(value)}`);
    } else if (rule.ignored?.includes(key)) {
      // only changes how Keras trains or schedules the layer
    } else if (rule.keys.includes(key)) {
      const translated = translateOption(context, where, name, className, key, value);
      if (translated !== undefined) out[key] = translated;
    } else if (!(COMMON_KEYS as readonly string[]).includes(key)) {
      context.notes.push(`${where}: option '${rawKey}' = ${JSON.stringify(value)} ignored`);
    }
  }
  out.name = name;
  specialCases(context, name, className, config, out);
  const translated: JsonObject = { class_name: className, config: out };
  if (raw.name !== undefined) translated.name = name;
  if (raw.inbound_nodes !== undefined) translated.inbound_nodes = raw.inbound_nodes;
  return translated;
}

function translateOption(
  context: Context,
  where: string,
  layer: string,
  className: string,
  key: string,
  value: JsonValue,
): JsonValue | undefined {
  if (key === 'activation') return translateActivation(context, layer, className, value);
  if (key.endsWith('_initializer')) return translateInitializer(value);
  if (key.endsWith('_regularizer')) return translateRegularizer(context, `${where} ${key}`, value);
  if (key.endsWith('_constraint')) return translateConstraint(context, `${where} ${key}`, value);
  return value;
}

/** Options whose form differs between Keras and TensorFlow.js beyond a name. */
function specialCases(
  context: Context,
  name: string,
  className: string,
  config: JsonObject,
  out: JsonObject,
): void {
  if (className === 'InputLayer' && out.batch_input_shape === undefined) {
    const shape = readShape(context, `layer '${name}' (InputLayer) shape`, config.shape ?? null);
    const batch = typeof config.batch_size === 'number' ? config.batch_size : null;
    out.batch_input_shape = [batch, ...shape];
  }
  if (className === 'BatchNormalization' && Array.isArray(out.axis)) {
    if (out.axis.length !== 1) unsupported(context, name, className, `axis = ${JSON.stringify(out.axis)}`);
    out.axis = out.axis[0] ?? -1;
  }
  if (className === 'Rescaling') {
    for (const key of ['scale', 'offset']) {
      if (out[key] !== undefined && typeof out[key] !== 'number') {
        unsupported(context, name, className, `${key} = ${JSON.stringify(out[key])} (only a single number)`);
      }
    }
  }
  if ((className === 'Conv2D' || className === 'SeparableConv2D') && out.padding === 'causal') {
    unsupported(context, name, className, "padding = 'causal'");
  }
}

/** Keras 3 writes a functional layer's inputs as call arguments holding tensors; Keras 2 as lists. */
function translateInboundNodes(context: Context, layer: string, nodes: JsonValue | undefined): JsonValue {
  if (!Array.isArray(nodes)) return [];
  return nodes.map((node) => {
    if (Array.isArray(node)) return node;
    if (!isObject(node)) fail(context, `layer '${layer}': an inbound node is neither a list nor an object`);
    const inputs: JsonValue[] = [];
    const collect = (value: JsonValue | undefined): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (isObject(value) && value.class_name === '__keras_tensor__') {
        const history = isObject(value.config) ? value.config.keras_history : undefined;
        if (!Array.isArray(history) || typeof history[0] !== 'string') {
          fail(context, `layer '${layer}': an input tensor without keras_history`);
        }
        inputs.push([history[0], history[1] ?? 0, history[2] ?? 0, {}]);
      }
    };
    collect(node.args);
    const before = inputs.length;
    collect(node.kwargs);
    if (inputs.length !== before) {
      fail(context, `layer '${layer}': a tensor passed by keyword (such as a mask) is not supported`);
    }
    return inputs;
  });
}

/** `input_layers` / `output_layers`: Keras 3 may write a single one as a flat `[name, 0, 0]`. */
function endpointList(
  context: Context,
  key: string,
  value: JsonValue | undefined,
): [string, number, number][] {
  if (!Array.isArray(value) || value.length === 0) fail(context, `the functional config has no ${key}`);
  const list = typeof value[0] === 'string' ? [value] : value;
  return list.map((item) => {
    if (!Array.isArray(item) || typeof item[0] !== 'string') {
      fail(context, `${key}: expected [layer name, node, tensor] entries, found ${JSON.stringify(item)}`);
    }
    return [item[0], Number(item[1] ?? 0), Number(item[2] ?? 0)];
  });
}

function uniqueName(taken: Set<string>, base: string): string {
  let name = base;
  for (let suffix = 1; taken.has(name); suffix += 1) name = `${base}_${suffix}`;
  taken.add(name);
  return name;
}

/** The input without a channel axis that cnnx's H×W×1 images can reach through one Reshape. */
function channelAdapter(shape: (number | null)[] | null): { input: number[]; target: number[] } | null {
  if (!shape) return null;
  const sizes = shape.slice(1);
  if (sizes.some((size) => size === null)) return null;
  const [first, second] = sizes as number[];
  if (sizes.length === 2) return { input: [first!, second!, 1], target: [first!, second!] };
  if (sizes.length === 1) {
    const side = Math.round(Math.sqrt(first!));
    if (side >= 2 && side * side === first) return { input: [side, side, 1], target: [first!] };
  }
  return null;
}

/** The activation a layer ends with, seen through layers that only move values around. */
type Ending = 'probabilities' | 'logits' | 'other';
const PASS_THROUGH = new Set([
  'Dropout',
  'Flatten',
  'Reshape',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

function endingOf(
  layer: JsonObject | undefined,
  previous: (layer: JsonObject) => JsonObject | undefined,
): Ending {
  for (let current = layer, steps = 0; current && steps < 100; current = previous(current), steps += 1) {
    const className = current.class_name as string;
    const config = current.config as JsonObject;
    if (className === 'Softmax') return 'probabilities';
    if (PASS_THROUGH.has(className)) continue;
    if (className === 'Activation' && config.activation === 'linear') continue;
    if ('activation' in config) {
      if (config.activation === 'softmax') return 'probabilities';
      return config.activation === 'linear' ? 'logits' : 'other';
    }
    return 'other';
  }
  return 'other';
}

const SOFTMAX_NOTE =
  'the model ends in a linear layer (logits, as with from_logits=True); the reader adds a softmax so that it outputs probabilities';

/**
 * Translates a Keras model config (the parsed `model_config` of a legacy `.h5`, or `config.json` of a
 * `.keras` file) into the Keras 2 form TensorFlow.js reads: unwraps Keras 3's `module`/`registered_name`
 * wrappers and dtype policies, renames `batch_shape`, rewrites Keras 3's functional call arguments,
 * maps initializers and regularizers, and refuses layers and options TensorFlow.js cannot compute. An
 * input without a channel axis (28×28, or 784 flat) gets a Reshape from H×W×1, and a model ending in
 * logits gets a softmax, so that the result takes and gives what every cnnx model does.
 *
 * @example
 * const translated = translateKerasConfig(JSON.parse(modelConfig), { file: 'mnist.h5', kerasVersion: '2.3.1' });
 * translated.topology.class_name; // 'Sequential'
 * translated.inputShape; // [null, 28, 28, 1]
 */
export function translateKerasConfig(
  modelConfig: unknown,
  options: { file: string; kerasVersion: string | null },
): TranslatedConfig {
  const context: Context = {
    file: options.file,
    keras3: /^3\./.test(options.kerasVersion ?? ''),
    notes: [],
  };
  if (!isObject(modelConfig) || typeof modelConfig.class_name !== 'string') {
    fail(context, 'the model config is not a {class_name, config} object');
  }
  const modelClass = modelConfig.class_name;
  const body = modelConfig.config;
  const functional =
    modelClass === 'Functional' ||
    modelClass === 'Model' ||
    (isObject(body) && Array.isArray(body.layers) && body.input_layers !== undefined);
  if (modelClass !== 'Sequential' && !functional) {
    fail(
      context,
      `the model is a subclassed Keras model (${modelClass}): its config holds no layers to rebuild; ` +
        'save a Sequential or functional model instead',
    );
  }
  const rawLayers = Array.isArray(body)
    ? body
    : isObject(body) && Array.isArray(body.layers)
      ? body.layers
      : null;
  if (!rawLayers) fail(context, `the ${modelClass} config has no layers list`);
  const modelName = isObject(body) && typeof body.name === 'string' ? body.name : modelClass.toLowerCase();

  const layers: KerasLayerInfo[] = [];
  const translated = rawLayers.map((entry, index) => {
    const layer = translateLayer(context, entry, index);
    const config = layer.config as JsonObject;
    if (!functional && index > 0) delete config.batch_input_shape;
    layers.push({ name: config.name as string, className: layer.class_name as string });
    return layer;
  });
  const taken = new Set(layers.map((layer) => layer.name));
  const addedLayers: string[] = [];
  const firstWork = translated.find(
    (layer) => !['InputLayer', 'Reshape'].includes(layer.class_name as string),
  );
  const firstConfig = firstWork?.config as JsonObject | undefined;
  const leadingRescaling =
    firstWork?.class_name === 'Rescaling' && firstConfig
      ? { scale: Number(firstConfig.scale ?? 1), offset: Number(firstConfig.offset ?? 0) }
      : null;

  if (!functional) {
    const first = translated[0];
    if (!first) fail(context, 'the Sequential model has no layers');
    const firstConfig = first.config as JsonObject;
    if (firstConfig.batch_input_shape === undefined) {
      const built = isObject(body) ? body.build_input_shape : undefined;
      const buildConfig = isObject(rawLayers[0]) ? rawLayers[0].build_config : undefined;
      const fallback = built ?? (isObject(buildConfig) ? buildConfig.input_shape : undefined);
      if (fallback === undefined || fallback === null) {
        fail(context, 'the Sequential model declares no input shape (it was saved before it was built)');
      }
      firstConfig.batch_input_shape = readShape(context, 'build_input_shape', fallback);
    }
    const kerasInputShape = firstConfig.batch_input_shape as (number | null)[];
    let inputShape = kerasInputShape;
    const adapter = channelAdapter(kerasInputShape);
    if (adapter) {
      const reshapeName = uniqueName(taken, 'cnnx_image_reshape');
      const reshape: JsonObject = {
        class_name: 'Reshape',
        config: {
          name: reshapeName,
          target_shape: adapter.target,
          batch_input_shape: [null, ...adapter.input],
        },
      };
      if (first.class_name === 'InputLayer') {
        firstConfig.batch_input_shape = [null, ...adapter.input];
        delete (reshape.config as JsonObject).batch_input_shape;
        translated.splice(1, 0, reshape);
      } else {
        delete firstConfig.batch_input_shape;
        translated.unshift(reshape);
      }
      inputShape = [null, ...adapter.input];
      addedLayers.push(reshapeName);
      context.notes.push(
        `the model's input is ${shapeText(kerasInputShape)}: the reader adds a Reshape from ${shapeText(inputShape)} so that it takes ${adapter.input.join('×')} images`,
      );
    }
    const previous = (layer: JsonObject) => translated[translated.indexOf(layer) - 1];
    if (endingOf(translated.at(-1), previous) === 'logits') {
      const softmaxName = uniqueName(taken, 'cnnx_softmax');
      translated.push({ class_name: 'Softmax', config: { name: softmaxName, axis: -1 } });
      addedLayers.push(softmaxName);
      context.notes.push(SOFTMAX_NOTE);
    }
    return {
      topology: { class_name: 'Sequential', config: { name: modelName, layers: translated } },
      modelName,
      layers,
      kerasInputShape,
      inputShape,
      addedLayers,
      leadingRescaling,
      notes: context.notes,
    };
  }

  const graph = body as JsonObject;
  for (const layer of translated) {
    layer.inbound_nodes = translateInboundNodes(context, layer.name as string, layer.inbound_nodes);
    layer.name = (layer.config as JsonObject).name as string;
  }
  const inputs = endpointList(context, 'input_layers', graph.input_layers);
  let outputs = endpointList(context, 'output_layers', graph.output_layers);
  const byName = new Map(translated.map((layer) => [layer.name as string, layer]));
  let kerasInputShape: (number | null)[] | null = null;
  let inputShape: (number | null)[] | null = null;
  if (inputs.length === 1) {
    const inputLayer = byName.get(inputs[0]![0]);
    const inputConfig = inputLayer?.config as JsonObject | undefined;
    if (inputConfig?.batch_input_shape !== undefined) {
      kerasInputShape = inputConfig.batch_input_shape as (number | null)[];
      inputShape = kerasInputShape;
      const adapter = channelAdapter(kerasInputShape);
      if (adapter && inputLayer) {
        const inputName = inputLayer.name as string;
        const reshapeName = uniqueName(taken, 'cnnx_image_reshape');
        for (const layer of translated) {
          layer.inbound_nodes = (layer.inbound_nodes as JsonValue[][]).map((node) =>
            node.map((entry) =>
              Array.isArray(entry) && entry[0] === inputName ? [reshapeName, ...entry.slice(1)] : entry,
            ),
          );
        }
        outputs = outputs.map(([name, node, tensor]) => [
          name === inputName ? reshapeName : name,
          node,
          tensor,
        ]);
        inputConfig.batch_input_shape = [null, ...adapter.input];
        translated.splice(translated.indexOf(inputLayer) + 1, 0, {
          class_name: 'Reshape',
          name: reshapeName,
          config: { name: reshapeName, target_shape: adapter.target },
          inbound_nodes: [[[inputName, 0, 0, {}]]],
        });
        inputShape = [null, ...adapter.input];
        addedLayers.push(reshapeName);
        context.notes.push(
          `the model's input is ${shapeText(kerasInputShape)}: the reader adds a Reshape from ${shapeText(inputShape)} so that it takes ${adapter.input.join('×')} images`,
        );
      }
    }
  }
  if (outputs.length === 1) {
    const previous = (layer: JsonObject): JsonObject | undefined => {
      const nodes = layer.inbound_nodes as JsonValue[];
      const node = nodes[0];
      const inbound =
        Array.isArray(node) && node.length === 1 && Array.isArray(node[0]) ? node[0][0] : undefined;
      return typeof inbound === 'string' ? byName.get(inbound) : undefined;
    };
    const [outputName, node, tensor] = outputs[0]!;
    if (endingOf(byName.get(outputName), previous) === 'logits') {
      const softmaxName = uniqueName(taken, 'cnnx_softmax');
      translated.push({
        class_name: 'Softmax',
        name: softmaxName,
        config: { name: softmaxName, axis: -1 },
        inbound_nodes: [[[outputName, node, tensor, {}]]],
      });
      outputs = [[softmaxName, 0, 0]];
      addedLayers.push(softmaxName);
      context.notes.push(SOFTMAX_NOTE);
    }
  }
  return {
    topology: {
      class_name: 'Functional',
      config: { name: modelName, layers: translated, input_layers: inputs, output_layers: outputs },
    },
    modelName,
    layers,
    kerasInputShape,
    inputShape,
    addedLayers,
    leadingRescaling,
    notes: context.notes,
  };
}

function shapeText(shape: readonly (number | null)[]): string {
  return `(${shape.map((size) => (size === null ? 'None' : String(size))).join(', ')})`;
}
