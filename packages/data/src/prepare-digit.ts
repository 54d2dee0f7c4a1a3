import { stat } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { DatasetFormatError } from './errors.js';
import { PREPARE_WORKING_SIZE } from './page/clean-page.js';
import { prepareDigitImage } from './prepare-digit-pixels.js';
import type { PrepareDigitOptions, PreparedDigit } from './types.js';

/** Options of {@link prepareDigit}. */
export interface PrepareDigitFileOptions extends PrepareDigitOptions {
  /** Images with more pixels than this are refused before decoding (decompression bombs). Default 100 M. */
  maxPixels?: number;
  /**
   * The longest side the photo is reduced to before the pure preparation runs (default 256,
   * `PREPARE_WORKING_SIZE`): a 12 MP
   * photo's digit does not need 12 M pixels to become 20×20, and JPEG decodes at ⅛ scale this way.
   */
  workingSize?: number;
  /** Also return the decoded image the preparation started from (`source`), e.g. for reports. */
  keepSource?: boolean;
}

const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * A photo or scan of one digit, in any format sharp reads (PNG, JPEG, WebP, GIF, TIFF, AVIF, SVG), as
 * MNIST's 28×28 input: decoded at no more than `workingSize` on its longer side (JPEGs shrink while they
 * decode), turned upright by its EXIF orientation, transparency flattened on white, then prepared in colour
 * by {@link prepareDigitImage}. `box` is in the upright source's pixels.
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
    workingSize = PREPARE_WORKING_SIZE,
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
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DatasetFormatError(name, `could not be decoded (${firstLine(error)})`, { cause: error });
  }
  const { info, data } = decoded;
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const channels = info.channels === 1 ? 1 : 3;
  const decodedPixels = channels === info.channels ? pixels : keepChannels(pixels, info.channels, channels);
  const prepared = prepareDigitImage(
    { pixels: decodedPixels, width: info.width, height: info.height, channels },
    prepareOptions,
  );
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
  if (keepSource) {
    prepared.source = {
      pixels: new Uint8Array(decodedPixels),
      width: info.width,
      height: info.height,
      channels,
    };
  }
  return prepared;
}

/** The first `keep` channels of pixels that have `channels` (a gray image with alpha → gray, RGBA → RGB). */
function keepChannels(data: Uint8Array, channels: number, keep: 1 | 3): Uint8Array {
  const count = data.length / channels;
  const out = new Uint8Array(count * keep);
  for (let i = 0; i < count; i += 1)
    for (let c = 0; c < keep; c += 1) out[i * keep + c] = data[i * channels + c]!;
  return out;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}
