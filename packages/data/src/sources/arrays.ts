import { DatasetFormatError } from '../errors.js';
import type { NpyArray } from '../formats/npy.js';

/**
 * Image arrays of any numeric dtype as 0-255 bytes: uint8 as is, floats in [0, 1] scaled by 255, other
 * values rounded; anything outside 0-255 is an error naming `file`.
 *
 * @example
 * imagesToBytes({ dtype: '<f4', shape: [1, 2], data: new Float32Array([0, 1]) }, 'x.npy'); // Uint8Array [0, 255]
 */
export function imagesToBytes(array: NpyArray, file: string): Uint8Array {
  if (array.data instanceof Uint8Array) return array.data;
  let max = 0;
  let min = 0;
  for (let i = 0; i < array.data.length; i += 1) {
    const value = array.data[i]!;
    if (!Number.isFinite(value)) {
      const pixels = array.shape.slice(1).reduce((product, dim) => product * dim, 1);
      throw new DatasetFormatError(
        file,
        `pixel ${i % pixels} of image ${Math.floor(i / pixels)} is ${value}, expected 0-255 or 0-1`,
      );
    }
    if (value > max) max = value;
    if (value < min) min = value;
  }
  if (min < 0 || max > 255) {
    throw new DatasetFormatError(file, `pixel values range from ${min} to ${max}, expected 0-255 or 0-1`);
  }
  const isFloat = array.data instanceof Float32Array || array.data instanceof Float64Array;
  const factor = isFloat && max <= 1 ? 255 : 1;
  const bytes = new Uint8Array(array.data.length);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.round(array.data[i]! * factor);
  return bytes;
}

/**
 * Label arrays as class indices: integers `[n]` as is, one-hot `[n, k]` by their largest entry.
 *
 * @example
 * labelsToBytes({ dtype: '<i8', shape: [2], data: new Float64Array([3, 1]) }, 'y.npy'); // Uint8Array [3, 1]
 */
export function labelsToBytes(array: NpyArray, file: string): Uint8Array {
  const count = array.shape[0] ?? 0;
  if (array.shape.length === 2) {
    const classes = array.shape[1]!;
    if (classes < 1 || classes > 256) {
      throw new DatasetFormatError(file, `one-hot labels have ${classes} columns, expected 1-256 classes`);
    }
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i += 1) {
      let best = 0;
      for (let k = 1; k < classes; k += 1) {
        if (array.data[i * classes + k]! > array.data[i * classes + best]!) best = k;
      }
      if (!Number.isFinite(array.data[i * classes + best]!)) {
        throw new DatasetFormatError(file, `one-hot label ${i} is not a row of finite numbers`);
      }
      labels[i] = best;
    }
    return labels;
  }
  if (array.shape.length !== 1) {
    throw new DatasetFormatError(
      file,
      `labels have shape [${array.shape.join(', ')}], expected [n] or [n, classes]`,
    );
  }
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i += 1) {
    const value = array.data[i]!;
    if (!Number.isInteger(value) || value < 0 || value > 255) {
      throw new DatasetFormatError(
        file,
        `label ${value} at index ${i} is not a class index (expected an integer 0-255)`,
      );
    }
    labels[i] = value;
  }
  return labels;
}

/**
 * The image shape `[height, width, channels]` of an images array `[n, h, w]`, `[n, h, w, c]` or `[n, h×w]`
 * (a square).
 *
 * @example
 * imageShapeOf([60000, 784], 'x.npy'); // [28, 28, 1]
 */
export function imageShapeOf(shape: number[], file: string): [number, number, number] {
  const side = Math.round(Math.sqrt(shape[1] ?? 0));
  const image: [number, number, number] | undefined =
    shape.length === 3
      ? [shape[1]!, shape[2]!, 1]
      : shape.length === 4
        ? [shape[1]!, shape[2]!, shape[3]!]
        : shape.length === 2 && side * side === shape[1]
          ? [side, side, 1]
          : undefined;
  if (image?.every((dim) => dim >= 1)) return image;
  throw new DatasetFormatError(
    file,
    `images have shape [${shape.join(', ')}], expected [n, height, width], [n, height, width, channels] or [n, side²]`,
  );
}
