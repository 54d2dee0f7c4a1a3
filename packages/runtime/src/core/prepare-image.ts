/**
 * Image preparation, the one place a `classify` input becomes pixels at the model's size: decoded pixels,
 * an `ImageData` or a typed array, as they are when they fit the model, or prepared as an MNIST digit
 * (`@cnnx/data`'s polarity, crop and centring) when a digit model gets an image of another size. The Node
 * entry (`node/prepare-image.ts`) decodes image files and hands their pixels to {@link preparePixels}.
 */
import { prepareDigitImage } from '@cnnx/data/browser';
import type { ClassifyOptions } from '../types.js';
import type { ImageShape } from './pixels.js';

/** One image ready to be written into the batch buffer: at the model's height and width, 1, 3 or 4 channels. */
export interface ModelImage {
  pixels: Uint8Array | Uint8ClampedArray | Float32Array;
  channels: number;
}

function isImageDataLike(
  input: unknown,
): input is { data: Uint8ClampedArray; width: number; height: number } {
  return (
    typeof input === 'object' && input !== null && 'data' in input && input.data instanceof Uint8ClampedArray
  );
}

function isImagePixels(input: unknown): input is { pixels: unknown; width: number; height: number } {
  return typeof input === 'object' && input !== null && 'pixels' in input;
}

/**
 * Whether `value` is an array of pixels the runtime reads: bytes (`Uint8Array`, `Uint8ClampedArray`) or floats.
 *
 * @example
 * isPixelArray(new Uint8Array(784)); // → true
 * isPixelArray([0, 255]);            // → false
 */
export function isPixelArray(value: unknown): value is Uint8Array | Uint8ClampedArray | Float32Array {
  return value instanceof Uint8Array || value instanceof Uint8ClampedArray || value instanceof Float32Array;
}

/** An image of any size as MNIST's 28×28 digit (`@cnnx/data`'s preparation: page cleaning, polarity, crop, centre). */
function digitFromPixels(
  pixels: Uint8Array | Uint8ClampedArray | Float32Array,
  width: number,
  height: number,
  channels: number,
  index: number,
): Uint8Array {
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `image ${index} must hold ${width}×${height}×${channels} = ${width * height * channels} values, got ${pixels.length}`,
    );
  }
  if (pixels instanceof Float32Array) {
    const bad = pixels.findIndex((value) => !(value >= 0 && value <= 255));
    if (bad >= 0)
      throw new RangeError(
        `image ${index}: pixel ${bad} is ${pixels[bad]}; pixels must be numbers from 0 to 255`,
      );
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`image ${index} has ${channels} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA)`);
  }
  // In colour where there is colour: ink is told from ruled lines and paper by its hue, not only its luma.
  return prepareDigitImage({ pixels, width, height, channels }).pixels;
}

/**
 * Turns one decoded `classify` input (`{ pixels, width, height, channels? }`, an `ImageData`, or a typed array
 * of one image at the model's size) into pixels at the model's `image` size. A digit model (28×28×1) prepares
 * an image of another size as MNIST did unless `options.prepare` is false; any other mismatch is a RangeError
 * naming image `index`.
 *
 * @example
 * preparePixels({ pixels: photo, width: 640, height: 480 }, 0, { height: 28, width: 28, channels: 1 });
 * // → { pixels: Uint8Array(784), channels: 1 }: the digit centred as MNIST's were
 */
export function preparePixels(
  input: unknown,
  index: number,
  image: ImageShape,
  options: Pick<ClassifyOptions, 'prepare'> = {},
): ModelImage {
  let pixels: unknown;
  let width: unknown;
  let height: unknown;
  let channels: number;
  if (isImageDataLike(input)) {
    ({ data: pixels, width, height } = input);
    channels = 4;
  } else if (isImagePixels(input)) {
    ({ pixels, width, height } = input);
    const given = (input as { channels?: unknown }).channels;
    channels = given === undefined ? 1 : Number(given);
    if (![1, 3, 4].includes(channels)) {
      throw new RangeError(`image ${index}: 'channels' must be 1, 3 or 4, got ${String(given)}`);
    }
  } else if (isPixelArray(input)) {
    pixels = input;
    width = image.width;
    height = image.height;
    channels = input.length === image.height * image.width * image.channels ? image.channels : 1;
  } else {
    throw new TypeError(
      `image ${index} must be { pixels, width, height }, an ImageData or a typed array of pixels, got ${input === null ? 'null' : typeof input}`,
    );
  }
  if (!isPixelArray(pixels))
    throw new TypeError(`image ${index}: 'pixels' must be a Uint8Array or Float32Array`);
  if (width !== image.width || height !== image.height) {
    const digitModel = image.width === 28 && image.height === 28 && image.channels === 1;
    if (!digitModel || options.prepare === false || !Number.isInteger(width) || !Number.isInteger(height)) {
      throw new RangeError(
        `image ${index} is ${String(width)}×${String(height)} but the model takes ${image.width}×${image.height}; resize it first`,
      );
    }
    return {
      pixels: digitFromPixels(pixels, width as number, height as number, channels, index),
      channels: 1,
    };
  }
  if (pixels.length !== image.width * image.height * channels) {
    throw new RangeError(
      `image ${index} must hold ${image.width}×${image.height}×${channels} = ${image.width * image.height * channels} values, got ${pixels.length}`,
    );
  }
  return { pixels, channels };
}
