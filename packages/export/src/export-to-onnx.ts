// Node entry of the exporter: accepts a model folder (read with node:fs) as well as an in-memory model,
// and calibrates int8 quantization with onnxruntime-node.
import type * as tf from '@tensorflow/tfjs';
import { measureRanges } from './calibrate.js';
import { convertToOnnx } from './convert.js';
import type { ExportOptions } from './types.js';

/**
 * Exports a tfjs Layers model (in memory, or a saved model folder) to ONNX bytes. `quantize: 'int8'`
 * needs `calibration` images (NHWC floats, scaled as the model's input).
 *
 * @example
 * const bytes = await exportToOnnx('runs/quickstart/model', { classNames: ['0', '1', '2'] });
 * await writeFile('model.onnx', bytes);
 */
export async function exportToOnnx(
  model: tf.LayersModel | string,
  options: ExportOptions = {},
): Promise<Uint8Array> {
  // a folder loads through @cnnx/train's loadModel, the one reader of saved models (only then is it loaded)
  const layersModel =
    typeof model === 'string' ? await (await import('@cnnx/train')).loadModel(model) : model;
  const { calibration, calibrationMethod, ...convertOptions } = options;
  if (options.quantize === 'int8') {
    if (!calibration)
      throw new TypeError("'quantize: int8' needs 'calibration' images to measure activation ranges");
    const calibrationRanges = await measureRanges(layersModel, calibration, {
      ...(options.opset ? { opset: options.opset } : {}),
      ...(options.inputLayout ? { inputLayout: options.inputLayout } : {}),
      ...(calibrationMethod ? { method: calibrationMethod } : {}),
    });
    return convertToOnnx(layersModel, { ...convertOptions, calibrationRanges });
  }
  return convertToOnnx(layersModel, convertOptions);
}
