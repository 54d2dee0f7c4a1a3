import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { KerasModel, OpenedModel } from '@cnnx/train';
// the Keras file test alone, without TensorFlow.js
import { detectKerasFile } from '@cnnx/train/keras-format';
import { CliError } from './errors.js';
import { say } from './io.js';
import type { ModelLocation } from './model-location.js';

/** Names that say "Keras file" even when the bytes do not: the Keras reader then says what the file is not. */
export const KERAS_FILE_NAME = /\.(h5|hdf5|keras)$/i;

/** A `--model` that TensorFlow.js runs: a tfjs model folder or a Keras file. */
export type LayersLocation = Exclude<ModelLocation, { kind: 'onnx' }>;

/** A model opened for a command, and the tfjs backend it runs on. */
export type OpenedLayersModel = OpenedModel & { backend: string };

/**
 * Opens `--model` as a TensorFlow.js Layers model through `@cnnx/train`'s `openModel` (imported only now, so a
 * run on an ONNX file never loads TensorFlow.js), on the fastest tfjs backend that loads here: a tfjs model
 * folder with its manifest's class names, run id and input scale, or a Keras file read by the Keras reader,
 * whose notes (a layer added to fit cnnx, a scale chosen) are printed. `inputScale` (`--input-scale`)
 * overrides the model's own. A file that cannot be read stops with the reader's one-line error.
 *
 * @example
 * const opened = await openLayersModel(await locateModel('mnist.keras'), { inputScale: 'none' });
 * // stderr: "mnist.keras: legacy HDF5, Keras 2.3.1 (tensorflow); input scale none"
 * opened.model.predict(…); opened.model.dispose();
 */
export async function openLayersModel(
  location: LayersLocation,
  options: { inputScale?: string | undefined } = {},
): Promise<OpenedLayersModel> {
  const { initBackend, openModel } = await import('@cnnx/train');
  const backend = (await initBackend('auto')).name;
  const path = location.kind === 'tfjs' ? location.dir : location.file;
  const opened = await openModel(
    path,
    options.inputScale === undefined ? {} : { inputScale: options.inputScale },
  );
  if (opened.keras) for (const line of describeKeras(opened.keras)) say(line);
  return { ...opened, backend };
}

/**
 * What a command prints about a Keras file it read: its format, Keras version, backend and input scale, then
 * each of the reader's notes, one line each.
 *
 * @example
 * describeKeras(keras); // ['mnist.h5: legacy HDF5, Keras 2.3.1 (tensorflow); input scale unit']
 */
export function describeKeras(keras: KerasModel): string[] {
  const nearby = relative(process.cwd(), keras.file);
  const shown = nearby && !nearby.startsWith('..') ? nearby : keras.file;
  const format = keras.format === 'hdf5' ? 'legacy HDF5' : 'Keras 3 zip';
  const version = keras.kerasVersion ? `Keras ${keras.kerasVersion}` : 'Keras version not recorded';
  const origin = keras.backend ? `${version} (${keras.backend})` : version;
  return [
    `${shown}: ${format}, ${origin}; input scale ${keras.inputScale}`,
    ...keras.notes.map((note) => `${shown}: ${note}`),
  ];
}

/**
 * `--model` itself when it names a Keras file (told by its bytes, or by an `.h5`/`.keras` name so that the
 * reader says what the file is not), `undefined` otherwise (a preset, a spec, a folder). A Keras name that
 * does not exist is one line, exit 1.
 *
 * @example
 * await kerasFileOf('mnist.keras'); // 'mnist.keras'
 * await kerasFileOf('classic');     // undefined
 */
export async function kerasFileOf(model: string): Promise<string | undefined> {
  if ((await detectKerasFile(resolve(model))) !== null) return model;
  if (!KERAS_FILE_NAME.test(model)) return undefined;
  const info = await stat(model).catch(() => undefined);
  if (!info?.isFile()) throw new CliError(`--model ${model} does not exist or is not a file`);
  return model;
}
