import { shapeText, summaryTable } from '../models/summary.js';
import type { KerasModel } from './types.js';

const FORMAT_NAMES = { hdf5: 'legacy HDF5 (.h5)', 'keras-zip': 'Keras 3 zip (.keras)' } as const;

/**
 * What `cnnx inspect FILE.h5` prints for a Keras file: the file's format, Keras version and backend, then
 * the layer table as Keras's `model.summary()` prints it (each layer's name and class, output shape and
 * parameter count, then the totals), then what the reader changed to fit cnnx and the input scale.
 *
 * @example
 * console.log(formatKerasSummary(await readKerasModel('mnist.h5')));
 * // Keras model "sequential_1": legacy HDF5 (.h5), Keras 2.3.1, backend tensorflow
 * // Layer (type)                Output Shape         Param #
 * // conv2d_1 (Conv2D)           (None, 26, 26, 32)   320
 * // …
 * // Total params: 93,322
 */
export function formatKerasSummary(keras: KerasModel): string {
  const sequential = keras.model.getClassName() === 'Sequential';
  const rows = keras.layers
    .filter((layer) => !(sequential && layer.className === 'InputLayer'))
    .map((layer) => [
      `${layer.name} (${layer.className})`,
      shapeText(layer.outputShape),
      layer.parameters.toLocaleString('en-US'),
    ]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const total = keras.layers.reduce((sum, layer) => sum + layer.parameters, 0);
  const trainable = keras.layers.reduce((sum, layer) => sum + layer.trainableParameters, 0);
  const version = keras.kerasVersion ? `Keras ${keras.kerasVersion}` : 'Keras version not recorded';
  const backend = keras.backend
    ? `backend ${keras.backend}`
    : `backend not recorded${keras.format === 'keras-zip' ? ' (.keras files do not say)' : ''}`;
  const scale =
    keras.inputScale === 'unit'
      ? 'unit (pixels ÷ 255)'
      : keras.inputScale === 'none'
        ? 'none (raw 0-255 pixels)'
        : `${keras.inputScale} ((pixels ÷ 255 − mean) ÷ std)`;
  return [
    `Keras model "${keras.model.name}": ${FORMAT_NAMES[keras.format]}, ${version}, ${backend}`,
    ...summaryTable(header, rows, { total, trainable }),
    `Input scale: ${scale}`,
    ...keras.notes.map((note) => `Note: ${note}`),
  ].join('\n');
}
