import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { InputShapeError, ModelSpecError } from '../errors.js';
import type { BuildModelOptions, LayerSpec, ModelSpec } from '../types.js';
import { resolveLayer } from './layers.js';
import { isPresetName, PRESET_NAMES, presets } from './presets.js';

/** A per-layer seed derived from the model seed, so each layer draws different initial weights. */
function layerSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 2_654_435_761) + index * 97 + 1) >>> 0;
}

function checkOptions(options: BuildModelOptions): void {
  const { inputShape, numClasses } = options;
  if (
    !Array.isArray(inputShape) ||
    inputShape.length !== 3 ||
    !inputShape.every((size) => Number.isInteger(size) && size > 0)
  ) {
    throw new TypeError(
      `'inputShape' must be [height, width, channels] positive integers, got ${JSON.stringify(inputShape)}`,
    );
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new RangeError(`'numClasses' must be an integer ≥ 2, got ${numClasses}`);
  }
}

function checkSpecShape(spec: ModelSpec, where: string): void {
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.layers) || spec.layers.length === 0) {
    throw new ModelSpecError(
      where,
      'layers',
      `model spec ${where}: "layers" must be a non-empty array of layers`,
    );
  }
  const known = new Set(['name', 'inputShape', 'inputs', 'layers', 'outputs', '$schema', 'description']);
  for (const key of Object.keys(spec)) {
    if (!known.has(key)) {
      throw new ModelSpecError(
        where,
        key,
        `model spec ${where}: unknown field "${key}"; accepted fields: name, inputShape, inputs, layers, outputs`,
      );
    }
  }
}

/** tfjs's error for a layer it could not add, as a ModelSpecError; images too small for the layer say so. */
function layerError(where: string, error: unknown, inputShape: readonly number[]): ModelSpecError {
  const message = (error as Error).message;
  const small = /Negative dimension size/.test(message)
    ? `images of ${inputShape.join('×')} are too small for it (${message}); use larger images (28×28 like MNIST)`
    : message;
  return new ModelSpecError(where, undefined, `model spec ${where}: ${small}`, { cause: error });
}
function buildSequential(spec: ModelSpec, options: BuildModelOptions, seed: number): tf.LayersModel {
  const model = tf.sequential({ name: spec.name });
  model.add(tf.layers.inputLayer({ inputShape: options.inputShape }));
  spec.layers.forEach((layer, index) => {
    const where = `layers[${index}] "${layer?.type}"`;
    if (layer?.inputs !== undefined) {
      throw new ModelSpecError(
        where,
        'inputs',
        `model spec ${where}: "inputs" needs a functional spec (give the model "inputs": ["image"] and name each layer)`,
      );
    }
    const resolved = resolveLayer(layer, {
      where,
      numClasses: options.numClasses,
      seed: layerSeed(seed, index),
    });
    if (resolved.kind.merge) {
      throw new ModelSpecError(
        where,
        'type',
        `model spec ${where}: ${resolved.kind.type} merges layers and needs a functional spec`,
      );
    }
    try {
      model.add(resolved.create());
    } catch (error) {
      throw layerError(where, error, options.inputShape);
    }
  });
  return model;
}

function buildFunctional(spec: ModelSpec, options: BuildModelOptions, seed: number): tf.LayersModel {
  const inputNames = spec.inputs ?? [];
  if (!Array.isArray(inputNames) || inputNames.length !== 1 || typeof inputNames[0] !== 'string') {
    throw new ModelSpecError(
      'inputs',
      'inputs',
      'model spec "inputs" must name exactly one input, e.g. ["image"]',
    );
  }
  const outputs = new Map<string, tf.SymbolicTensor>();
  const inputName = inputNames[0];
  const input = tf.input({ shape: options.inputShape, name: inputName });
  outputs.set(inputName, input);
  let previous = inputName;
  spec.layers.forEach((layer: LayerSpec, index) => {
    const name = typeof layer?.name === 'string' ? layer.name : `layer_${index}`;
    const where = `layers[${index}] "${layer?.name ?? layer?.type}"`;
    if (outputs.has(name)) {
      throw new ModelSpecError(where, 'name', `model spec ${where}: the name "${name}" is used twice`);
    }
    const sources = layer.inputs ?? [previous];
    if (
      !Array.isArray(sources) ||
      sources.length === 0 ||
      !sources.every((source) => typeof source === 'string')
    ) {
      throw new ModelSpecError(
        where,
        'inputs',
        `model spec ${where}: "inputs" must be a non-empty array of layer names`,
      );
    }
    const tensors = sources.map((source) => {
      const tensor = outputs.get(source);
      if (tensor === undefined) {
        throw new ModelSpecError(
          where,
          'inputs',
          `model spec ${where}: input "${source}" is not an earlier layer or model input; known: ${[...outputs.keys()].join(', ')}`,
        );
      }
      return tensor;
    });
    const resolved = resolveLayer(
      { ...layer, name },
      { where, numClasses: options.numClasses, seed: layerSeed(seed, index) },
    );
    if (resolved.kind.merge ? tensors.length < 2 : tensors.length !== 1) {
      throw new ModelSpecError(
        where,
        'inputs',
        `model spec ${where}: ${resolved.kind.type} takes ${resolved.kind.merge ? 'two or more inputs' : 'one input'}, got ${tensors.length}`,
      );
    }
    let output: tf.SymbolicTensor;
    try {
      const created = resolved.create();
      output = created.apply(resolved.kind.merge ? tensors : tensors[0]!) as tf.SymbolicTensor;
    } catch (error) {
      throw layerError(where, error, options.inputShape);
    }
    outputs.set(name, output);
    previous = name;
  });
  const outputNames = spec.outputs ?? [previous];
  if (!Array.isArray(outputNames) || outputNames.length !== 1) {
    throw new ModelSpecError(
      'outputs',
      'outputs',
      'model spec "outputs" must name exactly one layer (the probabilities)',
    );
  }
  const output = outputs.get(outputNames[0]!);
  if (output === undefined) {
    throw new ModelSpecError(
      'outputs',
      'outputs',
      `model spec "outputs": "${outputNames[0]}" is not a layer name`,
    );
  }
  return tf.model({ inputs: input, outputs: output, name: spec.name });
}

/**
 * Builds a model from a preset name or a spec, with seeded initialisers (the same seed gives the same
 * initial weights). A spec is Sequential unless it names its `inputs`; errors name the layer, the
 * option and the accepted values ({@link ModelSpecError}); a spec whose `inputShape` differs from
 * `options.inputShape` throws {@link InputShapeError}.
 *
 * @example
 * const model = buildModel('classic', { inputShape: [28, 28, 1], numClasses: 10, seed: 42 });
 * model.countParams(); // 421642
 */
export function buildModel(presetOrSpec: string | ModelSpec, options: BuildModelOptions): tf.LayersModel {
  checkOptions(options);
  let spec: ModelSpec;
  if (typeof presetOrSpec === 'string') {
    if (!isPresetName(presetOrSpec)) {
      throw new ModelSpecError(
        'model',
        'model',
        `unknown model "${presetOrSpec}"; accepted presets: ${PRESET_NAMES.join(', ')} (or a JSON spec file)`,
      );
    }
    spec = presets[presetOrSpec].spec;
  } else {
    spec = presetOrSpec;
  }
  checkSpecShape(spec, spec?.name ? `"${spec.name}"` : 'model');
  if (spec.inputShape !== undefined) {
    const declared = spec.inputShape;
    if (declared.length !== 3 || declared.some((size, axis) => size !== options.inputShape[axis])) {
      throw new InputShapeError(declared, options.inputShape);
    }
  }
  const seed = options.seed ?? 42;
  const model =
    spec.inputs === undefined ? buildSequential(spec, options, seed) : buildFunctional(spec, options, seed);
  // a layer that shrinks the image to nothing leaves a model that trains to NaN: refuse it by name
  const emptied = model.layers.find((layer) => {
    const shape = layer.outputShape as (number | null)[] | (number | null)[][];
    return (Array.isArray(shape[0]) ? (shape as (number | null)[][]) : [shape as (number | null)[]]).some(
      (dims) => dims.some((size) => size === 0),
    );
  });
  if (emptied !== undefined) {
    const [height, width, channels] = options.inputShape;
    const name = typeof presetOrSpec === 'string' ? presetOrSpec : 'the model';
    model.dispose();
    throw new ModelSpecError(
      emptied.name,
      undefined,
      `images of ${height}×${width}×${channels} are too small for ${name}: its layer ${emptied.getClassName()} '${emptied.name}' shrinks them to [${(emptied.outputShape as (number | null)[]).slice(1).join(', ')}]; use larger images (28×28 like MNIST)`,
    );
  }
  const outputShape = model.outputs[0]?.shape ?? [];
  if (outputShape.length !== 2 || outputShape[1] !== options.numClasses) {
    model.dispose();
    throw new ModelSpecError(
      'output',
      'units',
      `model spec output has shape [${outputShape.map((size) => size ?? 'batch').join(', ')}] but the data has ${options.numClasses} classes: end with a dense layer of ${options.numClasses} units (or "units": "classes") and softmax`,
    );
  }
  return model;
}

/**
 * Reads a JSON model spec file, naming the file in any error.
 *
 * @example
 * const spec = await readModelSpec('nets/residual.json');
 * const model = buildModel(spec, { inputShape: [28, 28, 1], numClasses: 10 });
 */
export async function readModelSpec(path: string): Promise<ModelSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelSpecError(
      path,
      undefined,
      `cannot read model spec ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelSpecError(
      path,
      undefined,
      `model spec ${path} is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ModelSpecError(path, undefined, `model spec ${path} must be a JSON object with "layers"`);
  }
  return parsed as ModelSpec;
}

/**
 * What a `--model` argument names: a preset (null: `buildModel` takes the name) or a `.json` spec file (read
 * with {@link readModelSpec}); anything else is a RangeError listing the presets.
 *
 * @example
 * await readModelArgument('best');             // → null
 * await readModelArgument('nets/wide.json');   // → { layers: [...] }
 */
export async function readModelArgument(model: string): Promise<ModelSpec | null> {
  if (isPresetName(model)) return null;
  if (!model.endsWith('.json')) {
    throw new RangeError(`"${model}" is not a preset (${PRESET_NAMES.join(', ')}) or a .json spec file`);
  }
  return readModelSpec(model);
}
