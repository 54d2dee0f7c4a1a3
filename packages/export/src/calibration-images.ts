// Node only: a dataset's images for calibrating int8 activations and for checking an export.
import { type Dataset, type InputScale, loadDataset, subset, toFloat32 } from '@cnnx/data';
import type * as tf from '@tensorflow/tfjs';
import type { VerificationInputs } from './verify.js';

/** `count` images spread evenly over `dataset` (all when it holds fewer), as the model's float input. */
function spread(dataset: Dataset, count: number, scale: InputScale): Float32Array {
  const n = Math.min(count, dataset.count);
  const picked = Array.from({ length: n }, (_, index) => Math.floor((index * dataset.count) / n));
  return toFloat32(subset(dataset, picked).images, { scale });
}

/**
 * Images of dataset `spec` for a model: `count` of its training images (spread evenly) to calibrate int8
 * activations, and up to `verifyCount` of its test images to check the export on, scaled by `scale`. A
 * dataset whose images do not fit the model's single input is a RangeError naming both shapes.
 *
 * @example
 * const { calibration, calibrationCount, verification } = await loadCalibrationImages('mnist-sample', model, { count: 500, scale: { kind: 'unit' } });
 * verification.count; // 1000
 */
export async function loadCalibrationImages(
  spec: string,
  model: tf.LayersModel,
  options: { count: number; verifyCount?: number; scale: InputScale; dataDir?: string },
): Promise<{ calibration: Float32Array; calibrationCount: number; verification: VerificationInputs }> {
  const where = options.dataDir === undefined ? {} : { dataDir: options.dataDir };
  const train = await loadDataset(spec, { ...where, split: 'train' });
  const test = await loadDataset(spec, { ...where, split: 'test' });
  const size = train.shape[0] * train.shape[1] * train.shape[2];
  const modelShape = model.inputs[0]?.shape.slice(1) ?? [];
  const expected = modelShape.reduce<number>((product, dim) => product * (dim ?? 1), 1);
  if (model.inputs.length !== 1 || expected !== size) {
    throw new RangeError(`images are ${train.shape.join('×')} but the model takes ${modelShape.join('×')}`);
  }
  const calibration = spread(train, options.count, options.scale);
  const values = spread(test, options.verifyCount ?? 1000, options.scale);
  return {
    calibration,
    calibrationCount: calibration.length / size,
    verification: { values: [values], count: values.length / size },
  };
}
