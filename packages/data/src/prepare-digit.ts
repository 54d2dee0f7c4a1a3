import { stat } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { DatasetFormatError } from './errors.js';
import { prepareDigitPixels } from './prepare-digit-pixels.js';
import type { PrepareDigitOptions, PreparedDigit } from './types.js';

/** Options of {@link prepareDigit}. */
export interface PrepareDigitFileOptions extends PrepareDigitOptions {
  /** Images with more pixels than this are refused before decoding (decompression bombs). Default 100 M. */
  maxPixels?: number;
  /**
   * The longest side the photo is reduced to before the pure preparation runs (default 256): a 12 MP
   * photo's digit does not need 12 M pixels to become 20×20, and JPEG decodes at ⅛ scale this way.
   */
  workingSize?: number;
  /** Also return the decoded grayscale image the preparation started from (`source`), e.g. for reports. */
  keepSource?: boolean;
}

const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * A photo or scan of one digit, in any format sharp reads (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG), as
 * MNIST's 28×28 input: decoded, turned upright by its EXIF orientation, transparency flattened on white,
 * made grayscale, then prepared by {@link prepareDigitPixels}. `box` is in the upright source's pixels.
 *
 * @example
 * const digit = await prepareDigit('7.png');
 * // { pixels: Uint8Array(784), width: 28, height: 28, inverted: true, box: { left: 96, top: 40, width: 180, height: 300 } }
 */
export async function prepareDigit(
  image: string | Uint8Array,
  options: PrepareDigitFileOptions = {},
): Promise<PreparedDigit> {
  const {
    maxPixels = DEFAULT_MAX_PIXELS,
    workingSize = 256,
    keepSource = false,
    ...prepareOptions
  } = options;
  if (!Number.isInteger(workingSize) || workingSize < 28) {
    throw new RangeError(`'workingSize' must be an integer ≥ 28, got ${workingSize}`);
  }
  if (!(maxPixels > 0)) throw new RangeError(`'maxPixels' must be a positive number, got ${maxPixels}`);
  const name = typeof image === 'string' ? image : '<image bytes>';
  if (typeof image === 'string') {
    const info = await stat(image).catch((error: unknown) => {
      throw new DatasetFormatError(image, 'does not exist', { cause: error });
    });
    if (info.isDirectory()) throw new DatasetFormatError(image, 'is a folder, expected an image file');
    if (info.size === 0) throw new DatasetFormatError(image, 'is empty');
  } else if (!(image instanceof Uint8Array)) {
    throw new TypeError(`'image' must be a file path or the bytes of an image`);
  } else if (image.length === 0) {
    throw new DatasetFormatError(name, 'is empty');
  }
  const input = sharp(image, { limitInputPixels: false, failOn: 'error' });
  let metadata: Metadata;
  try {
    metadata = await input.metadata();
  } catch (error) {
    throw new DatasetFormatError(name, `is not an image sharp can read (${firstLine(error)})`, {
      cause: error,
    });
  }
  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  if (!width || !height) throw new DatasetFormatError(name, 'has no width or height');
  if (width * height > maxPixels) {
    throw new DatasetFormatError(
      name,
      `is ${width}×${height} = ${width * height} pixels, over the limit of ${maxPixels} (maxPixels)`,
    );
  }
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(image, { limitInputPixels: maxPixels, failOn: 'error' })
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .resize({ width: workingSize, height: workingSize, fit: 'inside', withoutEnlargement: true })
      .grayscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DatasetFormatError(name, `could not be decoded (${firstLine(error)})`, { cause: error });
  }
  const { info, data } = decoded;
  const gray = info.channels === 1 ? data : takeFirstChannel(data, info.channels);
  const prepared = prepareDigitPixels(gray, info.width, info.height, prepareOptions);
  if (prepared.box && (info.width !== width || info.height !== height)) {
    const scaleX = width / info.width;
    const scaleY = height / info.height;
    const left = Math.floor(prepared.box.left * scaleX);
    const top = Math.floor(prepared.box.top * scaleY);
    prepared.box = {
      left,
      top,
      width: Math.min(width - left, Math.ceil(prepared.box.width * scaleX)),
      height: Math.min(height - top, Math.ceil(prepared.box.height * scaleY)),
    };
  }
  if (keepSource) prepared.source = { pixels: new Uint8Array(gray), width: info.width, height: info.height };
  return prepared;
}

function takeFirstChannel(data: Uint8Array, channels: number): Uint8Array {
  const gray = new Uint8Array(data.length / channels);
  for (let i = 0; i < gray.length; i += 1) gray[i] = data[i * channels]!;
  return gray;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}
