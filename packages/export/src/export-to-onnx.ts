// Node entry of the exporter: accepts a model folder (read with node:fs) as well as an in-memory model.
import type * as tf from '@tensorflow/tfjs';
import { convertToOnnx } from './convert.js';
import { loadLayersModelFromDir } from './load-model.js';
import type { ExportOptions } from './types.js';

/**
 * Exports a tfjs Layers model (in memory, or a saved model folder) to ONNX bytes.
 *
 * @example
 * const bytes = await exportToOnnx('runs/quickstart/model', { classNames: ['0', '1', '2'] });
 * await writeFile('model.onnx', bytes);
 */
export async function exportToOnnx(
  model: tf.LayersModel | string,
  options: ExportOptions = {},
): Promise<Uint8Array> {
  const layersModel = typeof model === 'string' ? await loadLayersModelFromDir(model) : model;
  if (options.quantize === 'int8') throw new RangeError("'quantize: int8' is not available yet");
  const { calibration: _calibration, calibrationMethod: _method, ...convertOptions } = options;
  return convertToOnnx(layersModel, convertOptions);
}
