/**
 * Image preparation in Node: image files (paths or bytes) decoded with sharp, then the same preparation as
 * every other input (`core/prepare-image.ts`). The Node Classifier, the server's `/classify` and `cnnx
 * predict` all prepare their images here, so a file becomes the same 28×28 digit whichever of them reads it.
 */
import { stat } from 'node:fs/promises';
import { type PreparedDigit, prepareDigit } from '@cnnx/data';
import sharp from 'sharp';
import type { ImageShape } from '../core/pixels.js';
import { type ModelImage, preparePixels } from '../core/prepare-image.js';
import type { ClassifyOptions, ImageInput } from '../types.js';

/** What `classify` accepts in Node: decoded pixels, or an image file's path or bytes (`Buffer`). */
export type NodeImageInput = ImageInput | string | Buffer;

/** Options of {@link prepareImage}. */
export interface PrepareImageOptions extends Pick<ClassifyOptions, 'prepare'> {
  /** Image files with more pixels than this are refused before decoding (default: `prepareDigit`'s). */
  maxPixels?: number;
  /** Keep the decoded grayscale image a file's digit preparation started from, in `digit.source` (reports). */
  keepSource?: boolean;
  /** Keep the cleaned page (the digit's ink dark, dropped lines and specks light), in `digit.page` (reports). */
  keepPage?: boolean;
}

/** An image at the model's size, and for an image file the digit preparation it went through. */
export interface PreparedImage extends ModelImage {
  /** How an image file became a digit (its box, polarity and, with `keepSource`, the decoded source). */
  digit?: PreparedDigit;
}

/**
 * Decodes an image file (path or bytes) with sharp into the model's size and channels, without preparation:
 * upright by EXIF, transparency on white, resized to fill, gray or RGB.
 */
async function decodeImage(
  input: string | Buffer,
  image: { height: number; width: number; channels: number },
): Promise<{ pixels: Uint8Array; width: number; height: number; channels: number }> {
  const name = typeof input === 'string' ? input : '(image bytes)';
  if (typeof input === 'string') {
    const info = await stat(input).catch((error: unknown) => {
      throw new Error(`${input}: does not exist`, { cause: error });
    });
    if (info.isDirectory()) throw new Error(`${input}: is a folder, expected an image file`);
    if (info.size === 0) throw new Error(`${input}: is empty`);
  } else if (input.length === 0) throw new Error(`${name}: is empty`);
  const channels = image.channels === 1 ? 1 : 3;
  let pipeline = sharp(input, { failOn: 'error' })
    .autoOrient()
    .flatten({ background: '#ffffff' })
    .resize(image.width, image.height, { fit: 'fill' });
  pipeline = channels === 1 ? pipeline.grayscale() : pipeline.removeAlpha().toColourspace('srgb');
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return {
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new Error(`${name}: is not an image sharp can read (${reason})`, { cause: error });
  }
}

/**
 * Prepares one input for a model that takes `image`: an image file (path or `Buffer`) is decoded and prepared
 * as an MNIST digit by `@cnnx/data`'s `prepareDigit` (with `prepare: false`, only decoded, made gray or RGB and
 * resized to the model's size); decoded pixels go through {@link preparePixels}. `index` names the image in
 * errors.
 *
 * @example
 * const prepared = await prepareImage('7.png', 0, classifier.info.image, { keepSource: true });
 * // → { pixels: Uint8Array(784), channels: 1, digit: { inverted: true, box: {…}, source: {…}, … } }
 */
export async function prepareImage(
  input: NodeImageInput,
  index: number,
  image: ImageShape | null,
  options: PrepareImageOptions = {},
): Promise<PreparedImage> {
  if (image === null) {
    throw new TypeError("the model's input is not a fixed-size image; use run() with tensors");
  }
  if (typeof input !== 'string' && !Buffer.isBuffer(input))
    return preparePixels(input, index, image, options);
  if (options.prepare === false) return preparePixels(await decodeImage(input, image), index, image, options);
  const digit = await prepareDigit(input, {
    ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
    keepSource: Boolean(options.keepSource),
    keepPage: Boolean(options.keepPage),
  });
  const pixels = preparePixels(
    { pixels: digit.pixels, width: digit.width, height: digit.height },
    index,
    image,
  );
  return { ...pixels, digit };
}
