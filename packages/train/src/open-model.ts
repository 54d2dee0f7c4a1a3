import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { formatInputScale, parseInputScale } from '@cnnx/data';
import type * as tf from '@tensorflow/tfjs';
import { readKerasModel } from './keras/read-keras-model.js';
import type { KerasModel } from './keras/types.js';
import { loadModel, MODEL_FILE, readModelManifest } from './model-io.js';

/** A model read from disk, whichever format it was saved in, with what labels and feeds it. */
export interface OpenedModel {
  model: tf.LayersModel;
  /** `tfjs` (a cnnx or tfjs model folder), `hdf5` (a legacy Keras `.h5`) or `keras-zip` (a Keras 3 `.keras`). */
  format: 'tfjs' | KerasModel['format'];
  /** How raw 0-255 pixels become the model's input: `unit`, `none` or `standard:MEAN:STD`. */
  inputScale: string;
  /** The class names the folder's manifest records (Keras files record none). */
  classNames?: string[];
  /** The training run's id the folder's manifest records. */
  runId?: string;
  /** What the Keras reader made of the file: version, backend, the layer table, its notes. */
  keras?: KerasModel;
}

/**
 * Reads a model for prediction, evaluation, export or fine-tuning: a tfjs Layers folder (or its
 * `model.json`), with the class names, run id and input scale its `manifest.json` records, or a Keras file
 * (`.h5` or `.keras`, told by its bytes; any other file is read as one, so that the Keras reader says what
 * it is not). `inputScale` overrides the folder's or the reader's choice. Needs an initialised tfjs backend.
 * Errors: `ModelNotFoundError` and `ModelFormatError` for folders, `KerasFormatError` and
 * `UnsupportedLayerError` for Keras files, a RangeError for a bad `inputScale`.
 *
 * @example
 * const opened = await openModel('mnist.keras', { inputScale: 'none' });
 * opened.format;     // 'keras-zip'
 * opened.inputScale; // 'none'
 * const run = await openModel('runs/digits/model'); // { format: 'tfjs', classNames: ['0', …], inputScale: 'unit', … }
 */
export async function openModel(path: string, options: { inputScale?: string } = {}): Promise<OpenedModel> {
  const asked =
    options.inputScale === undefined
      ? undefined
      : formatInputScale(parseInputScale(options.inputScale, "'inputScale'"));
  const info = await stat(path).catch(() => null);
  if (info?.isFile() && basename(path) !== MODEL_FILE) {
    const keras = await readKerasModel(path, asked === undefined ? {} : { inputScale: asked });
    return { model: keras.model, format: keras.format, inputScale: keras.inputScale, keras };
  }
  const dir = info?.isFile() ? path.slice(0, -MODEL_FILE.length) || '.' : path;
  const manifest = await readModelManifest(dir);
  const inputScale = formatInputScale(
    parseInputScale(asked ?? manifest.inputScale ?? 'unit', `${dir} manifest.json's inputScale`),
  );
  const model = await loadModel(path);
  return {
    model,
    format: 'tfjs',
    inputScale,
    ...(manifest.classNames ? { classNames: manifest.classNames } : {}),
    ...(manifest.runId ? { runId: manifest.runId } : {}),
  };
}
