import { readFile, stat } from 'node:fs/promises';
import { formatInputScale, parseInputScale } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import { strFromU8, unzipSync } from 'fflate';
import { type KerasLayerInfo, type TranslatedConfig, translateKerasConfig } from './config.js';
import { detectKerasFormat } from './detect.js';
import { KerasFormatError } from './errors.js';
import { withHdf5File } from './hdf5.js';
import type { JsonObject } from './layers.js';
import type { KerasLayerSummary, KerasModel, ReadKerasModelOptions } from './types.js';
import { type LayerWeights, readKeras3Weights, readLegacyWeights } from './weights.js';

/** The largest Keras file the reader opens (bytes). */
export const MAX_KERAS_FILE_BYTES = 1024 * 1024 * 1024;

function parseJson(file: string, what: string, text: unknown): unknown {
  if (typeof text !== 'string') throw new KerasFormatError(file, `${what} is not a JSON string`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KerasFormatError(file, `${what} is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function optionalString(value: unknown): string | null {
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return typeof value === 'string' && value !== '' ? value : null;
}

interface FileContents {
  translated: TranslatedConfig;
  weights: Map<string, LayerWeights>;
  kerasVersion: string | null;
  backend: string | null;
}

/** A legacy HDF5 file: root attributes `model_config`, `keras_version`, `backend`; `model_weights/`. */
async function readLegacyHdf5(bytes: Uint8Array, file: string): Promise<FileContents> {
  return withHdf5File(bytes, file, (h5) => {
    const modelConfig = h5.attribute('/', 'model_config');
    if (modelConfig === undefined) {
      const weightsOnly = h5.kind('/model_weights') !== null || h5.kind('/layers') !== null;
      throw new KerasFormatError(
        file,
        weightsOnly
          ? 'the file holds weights only (no model_config): save the whole model with model.save(...)'
          : 'an HDF5 file without a Keras model_config attribute: not a Keras model file',
      );
    }
    const kerasVersion = optionalString(h5.attribute('/', 'keras_version'));
    if (kerasVersion?.startsWith('1.')) {
      throw new KerasFormatError(
        file,
        `saved by Keras ${kerasVersion}; the reader supports Keras 2 and 3 files`,
      );
    }
    const configText = optionalString(modelConfig);
    const translated = translateKerasConfig(parseJson(file, 'model_config', configText), {
      file,
      kerasVersion,
    });
    return {
      translated,
      weights: readLegacyWeights(h5, translated.layers),
      kerasVersion,
      backend: optionalString(h5.attribute('/', 'backend')),
    };
  });
}

const ZIP_ENTRIES = ['config.json', 'metadata.json', 'model.weights.h5', 'model.weights.json'];

/** A Keras 3 zip: `config.json`, `metadata.json` and `model.weights.h5`, read in memory only. */
async function readKerasZip(bytes: Uint8Array, file: string): Promise<FileContents> {
  let entries: Record<string, Uint8Array>;
  const oversized: string[] = [];
  try {
    entries = unzipSync(bytes, {
      filter: (entry) => {
        if (!ZIP_ENTRIES.includes(entry.name)) return false;
        if (entry.originalSize > MAX_KERAS_FILE_BYTES) oversized.push(entry.name);
        return entry.originalSize <= MAX_KERAS_FILE_BYTES;
      },
    });
  } catch (error) {
    throw new KerasFormatError(file, `a damaged or truncated zip archive (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (oversized.length > 0) {
    throw new KerasFormatError(
      file,
      `${oversized.join(', ')} would unpack to more than ${MAX_KERAS_FILE_BYTES} bytes`,
    );
  }
  const config = entries['config.json'];
  if (!config)
    throw new KerasFormatError(file, 'a zip archive without config.json: not a Keras 3 .keras file');
  const metadata = entries['metadata.json'];
  const metadataJson = metadata ? parseJson(file, 'metadata.json', strFromU8(metadata)) : {};
  const kerasVersion =
    typeof metadataJson === 'object' && metadataJson !== null
      ? optionalString((metadataJson as Record<string, unknown>).keras_version)
      : null;
  const translated = translateKerasConfig(parseJson(file, 'config.json', strFromU8(config)), {
    file,
    kerasVersion,
  });
  const weightsFile = entries['model.weights.h5'];
  if (!weightsFile) {
    throw new KerasFormatError(
      file,
      entries['model.weights.json']
        ? 'the weights are sharded (model.weights.json); the reader supports one model.weights.h5'
        : 'missing weights: the archive has no model.weights.h5',
    );
  }
  const weights = await withHdf5File(weightsFile, `${file}!model.weights.h5`, (h5) =>
    readKeras3Weights(h5, translated.layers),
  );
  return { translated, weights, kerasVersion, backend: null };
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((size) => (size === null ? 'None' : String(size))).join(', ')}]`;
}

/** Puts each layer's weights from the file into the model, checking count and shapes first. */
function assignWeights(
  file: string,
  model: tf.LayersModel,
  layers: readonly KerasLayerInfo[],
  weights: Map<string, LayerWeights>,
): void {
  for (const info of layers) {
    const layer = model.getLayer(info.name);
    const expected = layer.weights;
    const found = weights.get(info.name);
    const where = `layer '${info.name}' (${info.className})`;
    if (expected.length === 0) {
      if (found?.weights && found.weights.length > 0) {
        throw new KerasFormatError(
          file,
          `${where} has no weights, yet the file holds ${found.weights.length} in ${found.group}`,
        );
      }
      continue;
    }
    const needed = expected.map(
      (variable) => `${variable.originalName.split('/').pop()} ${shapeText(variable.shape)}`,
    );
    if (!found?.weights) {
      throw new KerasFormatError(
        file,
        `missing weights: ${where} needs ${needed.join(', ')}, but the file has no ${found?.group ?? 'weights for it'}`,
      );
    }
    if (found.weights.length !== expected.length) {
      throw new KerasFormatError(
        file,
        `${where}: the file holds ${found.weights.length} weights in ${found.group}, the layer needs ${expected.length} (${needed.join(', ')})`,
      );
    }
    expected.forEach((variable, index) => {
      const weight = found.weights![index]!;
      const same =
        weight.shape.length === variable.shape.length &&
        weight.shape.every((size, axis) => size === variable.shape[axis]);
      if (!same) {
        throw new KerasFormatError(
          file,
          `${where}: weight ${weight.path} has shape ${shapeText(weight.shape)} in the file, the layer needs ${needed[index]}`,
        );
      }
    });
    const tensors = found.weights.map((weight) => tf.tensor(weight.values, weight.shape, 'float32'));
    layer.setWeights(tensors);
    for (const tensor of tensors) tensor.dispose();
  }
}

function summarise(
  model: tf.LayersModel,
  layers: readonly KerasLayerInfo[],
  kerasInputShape: KerasModel['kerasInputShape'],
): KerasLayerSummary[] {
  return layers.map((info) => {
    const layer = model.getLayer(info.name);
    const count = (variables: readonly tf.LayerVariable[]) =>
      variables.reduce(
        (sum, variable) => sum + variable.shape.reduce<number>((product, size) => product * (size ?? 1), 1),
        0,
      );
    const outputShape =
      info.className === 'InputLayer' && kerasInputShape
        ? kerasInputShape
        : (layer.outputShape as (number | null)[]);
    return {
      name: info.name,
      className: info.className,
      outputShape: [...outputShape],
      parameters: count(layer.weights),
      trainableParameters: count(layer.trainableWeights),
    };
  });
}

/**
 * Reads a Keras model from the bytes of a legacy HDF5 file (`model.save('x.h5')`, Keras 2.x, tf.keras 2.x
 * or Keras 3) or a Keras 3 `.keras` zip into a TensorFlow.js Layers model: the architecture from the
 * file's own config, the weights from the file, nothing read from anywhere else. Needs an initialised
 * tfjs backend.
 *
 * @example
 * const keras = await readKerasModelFromBytes(await readFile('mnist.keras'), { file: 'mnist.keras' });
 * keras.model.predict(tf.zeros([1, 28, 28, 1])); // probabilities, shape [1, 10]
 */
export async function readKerasModelFromBytes(
  bytes: Uint8Array,
  options: ReadKerasModelOptions & { file?: string } = {},
): Promise<KerasModel> {
  const file = options.file ?? 'Keras model';
  let inputScale = formatInputScale(parseInputScale(options.inputScale ?? 'unit'));
  const format = detectKerasFormat(bytes);
  if (format === null) {
    const start = Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
    throw new KerasFormatError(
      file,
      `neither an HDF5 file (.h5) nor a Keras zip (.keras): it starts with ${start || 'nothing (empty file)'}`,
    );
  }
  const contents = format === 'hdf5' ? await readLegacyHdf5(bytes, file) : await readKerasZip(bytes, file);
  const { translated } = contents;
  const notes = [...translated.notes];
  const rescaling = translated.leadingRescaling;
  if (rescaling && Math.abs(rescaling.scale * 255 - 1) < 1e-4 && rescaling.offset === 0) {
    if (options.inputScale === undefined) {
      inputScale = 'none';
      notes.push('the model starts with Rescaling(1/255), so it takes raw 0-255 pixels: input scale none');
    } else if (inputScale !== 'none') {
      notes.push(
        `the model starts with Rescaling(1/255) (it takes raw 0-255 pixels) but the input scale is ${inputScale}: the pixels are scaled twice`,
      );
    }
  }
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({
      modelTopology: translated.topology as tf.io.ModelJSON['modelTopology'] & JsonObject,
    });
  } catch (error) {
    throw new KerasFormatError(
      file,
      `TensorFlow.js cannot build the model from its config: ${(error as Error).message.split('\n')[0]}`,
      {
        cause: error,
      },
    );
  }
  try {
    assignWeights(file, model, translated.layers, contents.weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return {
    model,
    file,
    format,
    kerasVersion: contents.kerasVersion,
    backend: contents.backend,
    inputScale,
    kerasInputShape: translated.kerasInputShape,
    layers: summarise(model, translated.layers, translated.kerasInputShape),
    addedLayers: translated.addedLayers,
    notes,
  };
}

/**
 * Reads a Keras model file (`.h5` or `.keras`, told apart by their first bytes) into a TensorFlow.js Layers
 * model. See {@link readKerasModelFromBytes}.
 *
 * @example
 * const keras = await readKerasModel('mnist.h5', { inputScale: 'unit' });
 * keras.kerasVersion; // '2.3.1'
 * keras.model.countParams(); // 93322
 */
export async function readKerasModel(path: string, options: ReadKerasModelOptions = {}): Promise<KerasModel> {
  if (typeof path !== 'string' || path === '') throw new TypeError("'path' must be a Keras model file path");
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new KerasFormatError(
      path,
      error.code === 'ENOENT' ? 'no such file' : `cannot be read (${error.code})`,
      {
        cause: error,
      },
    );
  });
  if (info.isDirectory()) {
    throw new KerasFormatError(
      path,
      'a folder, not a Keras file (.h5 or .keras); TensorFlow SavedModel folders are not read',
    );
  }
  if (info.size > MAX_KERAS_FILE_BYTES) {
    throw new KerasFormatError(
      path,
      `${info.size} bytes, more than the reader opens (${MAX_KERAS_FILE_BYTES})`,
    );
  }
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new KerasFormatError(path, `cannot be read (${error.code})`, { cause: error });
  });
  return readKerasModelFromBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    ...options,
    file: path,
  });
}
