import { type InputScale, inputScaleOf, type PixelScale } from './input-scale.js';

/**
 * Converts 0-255 pixels to float32 by an input scale (see `input-scale.ts`): `unit` (default) divides by
 * 255, `none` keeps 0-255, and `{mean, std}` standardises the ÷255 values (`standard:MEAN:STD`).
 *
 * @example
 * toFloat32(new Uint8Array([0, 255]));                                      // Float32Array [0, 1]
 * toFloat32(new Uint8Array([0, 255]), { scale: { mean: 0.5, std: 0.5 } });  // Float32Array [-1, 1]
 */
export function toFloat32(
  images: Uint8Array,
  options: { scale?: PixelScale | InputScale; into?: Float32Array } = {},
): Float32Array {
  const { scale = 'unit' } = options;
  const output = options.into ?? new Float32Array(images.length);
  if (output.length < images.length) {
    throw new RangeError(`'into' holds ${output.length} values, expected at least ${images.length}`);
  }
  const table = scaleTable(scale);
  for (let i = 0; i < images.length; i += 1) output[i] = table[images[i]!]!;
  return output;
}

/**
 * A 256-entry lookup table from byte to scaled float, so converting a batch is one table read per pixel.
 *
 * @example
 * scaleTable('unit')[255]; // 1
 */
export function scaleTable(scale: PixelScale | InputScale): Float32Array {
  const parsed = inputScaleOf(scale);
  const table = new Float32Array(256);
  for (let value = 0; value < 256; value += 1) {
    if (parsed.kind === 'unit') table[value] = value / 255;
    else if (parsed.kind === 'none') table[value] = value;
    else table[value] = (value / 255 - parsed.mean) / parsed.std;
  }
  return table;
}

/**
 * Minimum, maximum, mean and standard deviation of the pixels, in 0-255 units.
 *
 * @example
 * pixelStatistics(new Uint8Array([0, 255])); // { min: 0, max: 255, mean: 127.5, std: 127.5 }
 */
export function pixelStatistics(images: Uint8Array): { min: number; max: number; mean: number; std: number } {
  if (images.length === 0) return { min: 0, max: 0, mean: 0, std: 0 };
  const histogram = new Float64Array(256);
  for (let i = 0; i < images.length; i += 1) histogram[images[i]!]! += 1;
  let min = 255;
  let max = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let value = 0; value < 256; value += 1) {
    const count = histogram[value]!;
    if (count === 0) continue;
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += count * value;
    sumSquares += count * value * value;
  }
  const mean = sum / images.length;
  const std = Math.sqrt(Math.max(0, sumSquares / images.length - mean * mean));
  return { min, max, mean, std };
}

/**
 * The mean and standard deviation of the ÷255 pixels: the values to standardise a dataset by.
 *
 * @example
 * const scale = standardization(train.images); // e.g. { mean: 0.1307, std: 0.3081 } for MNIST
 * toFloat32(batchImages, { scale });
 */
export function standardization(images: Uint8Array): { mean: number; std: number } {
  const { mean, std } = pixelStatistics(images);
  return { mean: mean / 255, std: std / 255 || 1 };
}

/**
 * One-hot rows (n × `classCount`) from class indices.
 *
 * @example
 * oneHot(new Uint8Array([2]), 3); // Float32Array [0, 0, 1]
 */
export function oneHot(labels: Uint8Array, classCount: number, into?: Float32Array): Float32Array {
  const output = into ?? new Float32Array(labels.length * classCount);
  output.fill(0, 0, labels.length * classCount);
  for (let i = 0; i < labels.length; i += 1) {
    const label = labels[i]!;
    if (label >= classCount) throw new RangeError(`'labels[${i}]' is ${label}, expected below ${classCount}`);
    output[i * classCount + label] = 1;
  }
  return output;
}
