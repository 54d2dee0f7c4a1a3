import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../types.js';

/**
 * Rows `start..end` of a byte image set as an (end − start) × features float tensor in [0, 1].
 *
 * @example
 * const block = pixelRows(testSet, 784, 0, 256); // 256 × 784, pixels / 255
 */
export function pixelRows(set: ImageSet, features: number, start: number, end: number): tf.Tensor2D {
  const bytes = set.images.subarray(start * features, end * features);
  const floats = new Float32Array(bytes.length);
  for (let index = 0; index < bytes.length; index++) floats[index] = (bytes[index] as number) / 255;
  return tf.tensor2d(floats, [end - start, features]);
}
