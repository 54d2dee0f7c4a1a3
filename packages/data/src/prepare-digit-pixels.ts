import { luma, onWhite } from './luma.js';
import { cleanPage, type PageImage } from './page/clean-page.js';
import type { DigitBox, PrepareDigitOptions, PreparedDigit } from './types.js';

/*
 * The 28×28 preparation MNIST's authors applied to every digit, on plain typed arrays (no Node, no DOM),
 * so the browser demo and `cnnx predict` run the very same code:
 *   the page cleaned (page/clean-page.ts: light, colour, printed lines, the digit picked) → box →
 *   fit the box in 20×20 (area averaging, aspect kept) → centre of mass at the centre of 28×28.
 */

const SIDE = 28;

/**
 * Grayscale (BT.601 luma) from RGBA pixels such as a canvas's `ImageData.data`, with transparency
 * flattened onto white paper.
 *
 * @example
 * const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
 * const gray = rgbaToGray(data, width, height);
 * const digit = prepareDigitPixels(gray, width, height);
 */
export function rgbaToGray(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  checkSize(width, height);
  if (rgba.length !== width * height * 4) {
    throw new RangeError(
      `'rgba' holds ${rgba.length} values, expected ${width}×${height}×4 = ${width * height * 4}`,
    );
  }
  const gray = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < gray.length; i += 1, p += 4) {
    gray[i] = Math.round(onWhite(luma(rgba[p]!, rgba[p + 1]!, rgba[p + 2]!), rgba[p + 3]!));
  }
  return gray;
}

/**
 * Turns a grayscale image of one digit (any size, either polarity, uneven lighting, specks of noise,
 * printed lines) into MNIST's form: 28×28, bright ink on black, the ink's box scaled to fit 20×20 with its
 * aspect ratio kept, and its centre of mass at the centre. `gray` holds `width × height` values from 0 to 255.
 * The same as {@link prepareDigitImage} with one channel.
 *
 * @example
 * const digit = prepareDigitPixels(gray, 640, 480);
 * // { pixels: Uint8Array(784), width: 28, height: 28, inverted: true, box: { left: 212, top: 80, width: 190, height: 301 } }
 */
export function prepareDigitPixels(
  gray: Uint8Array | Uint8ClampedArray | Float32Array,
  width: number,
  height: number,
  options: PrepareDigitOptions = {},
): PreparedDigit {
  checkSize(width, height);
  if (gray.length !== width * height) {
    throw new RangeError(
      `'gray' holds ${gray.length} values, expected ${width}×${height} = ${width * height}`,
    );
  }
  return prepareDigitImage({ pixels: gray, width, height, channels: 1 }, options);
}

/**
 * Turns a photo or scan of one digit on paper (gray, RGB or RGBA, 0-255) into MNIST's form, 28×28: the
 * page is cleaned by {@link cleanPage} (light evened out, colour used to tell ink from paper, ruled and
 * squared lines removed, the digit picked among the marks), then the digit's box is scaled to fit 20×20
 * with its aspect ratio kept, and its centre of mass is put at the centre. With `keepPage`, `page` is the
 * cleaned page for people.
 *
 * @example
 * const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
 * const digit = prepareDigitImage({ pixels: data, width, height, channels: 4 });
 * // { pixels: Uint8Array(784), width: 28, height: 28, inverted: true, box: { left: 96, top: 40, width: 80, height: 130 } }
 */
export function prepareDigitImage(image: PageImage, options: PrepareDigitOptions = {}): PreparedDigit {
  const { pixels, width, height, channels } = image;
  checkSize(width, height);
  if (![1, 3, 4].includes(channels)) {
    throw new RangeError(`'channels' must be 1, 3 or 4, got ${channels}`);
  }
  if (pixels.length !== width * height * channels) {
    throw new RangeError(
      `'pixels' holds ${pixels.length} values, expected ${width}×${height}×${channels} = ${width * height * channels}`,
    );
  }
  const { polarity = 'auto', fitSize = 20, keepPage = false } = options;
  if (!['auto', 'dark-on-light', 'light-on-dark'].includes(polarity)) {
    throw new RangeError(
      `'polarity' must be auto, dark-on-light or light-on-dark, got ${JSON.stringify(polarity)}`,
    );
  }
  if (!Number.isInteger(fitSize) || fitSize < 1 || fitSize > SIDE) {
    throw new RangeError(`'fitSize' must be an integer from 1 to ${SIDE}, got ${fitSize}`);
  }

  const cleaned = cleanPage(image, { polarity, keepPage });
  const { inverted, box } = cleaned;
  const page = cleaned.page ? { page: { pixels: cleaned.page, width, height } } : {};
  if (!box) return { pixels: new Uint8Array(SIDE * SIDE), width: SIDE, height: SIDE, inverted, box, ...page };

  const ink = cleaned.ink;
  for (let i = 0; i < ink.length; i += 1) ink[i]! *= 255;
  const scale = fitSize / Math.max(box.width, box.height);
  const fittedWidth = Math.max(1, Math.min(fitSize, Math.round(box.width * scale)));
  const fittedHeight = Math.max(1, Math.min(fitSize, Math.round(box.height * scale)));
  const fitted = resampleArea(ink, width, box, fittedWidth, fittedHeight);
  stretchContrast(fitted);
  return {
    pixels: placeByCentreOfMass(fitted, fittedWidth, fittedHeight),
    width: SIDE,
    height: SIDE,
    inverted,
    box,
    ...page,
  };
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || width < 1)
    throw new RangeError(`'width' must be a positive integer, got ${width}`);
  if (!Number.isInteger(height) || height < 1) {
    throw new RangeError(`'height' must be a positive integer, got ${height}`);
  }
}

/** Scales so the strongest ink (99.5th percentile of the inked pixels) is 255; false when there is no ink. */
function stretchContrast(ink: Float32Array): boolean {
  let max = 0;
  for (let i = 0; i < ink.length; i += 1) max = Math.max(max, ink[i]!);
  if (max < 24) return false;
  // the 99.5th percentile of the inked pixels, from a histogram
  const histogram = new Uint32Array(256);
  let inked = 0;
  const scale = 255 / max;
  for (let i = 0; i < ink.length; i += 1) {
    if (ink[i]! > max * 0.1) {
      histogram[Math.round(ink[i]! * scale)]! += 1;
      inked += 1;
    }
  }
  let seen = 0;
  let bin = 0;
  while (bin < 255 && seen + histogram[bin]! <= 0.995 * (inked - 1)) seen += histogram[bin++]!;
  const level = Math.max(bin / scale, 1);
  const gain = 255 / level;
  for (let i = 0; i < ink.length; i += 1) ink[i] = Math.min(255, ink[i]! * gain);
  return true;
}

/**
 * Resamples the `box` of `source` to `outWidth × outHeight` by area averaging: every output pixel is the
 * mean of the source area it covers, weighted by overlap (separable: rows, then columns).
 */
function resampleArea(
  source: Float32Array,
  sourceWidth: number,
  box: DigitBox,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const horizontal = new Float32Array(outWidth * box.height);
  const xWeights = areaWeights(box.width, outWidth);
  for (let y = 0; y < box.height; y += 1) {
    const row = (box.top + y) * sourceWidth + box.left;
    for (let x = 0; x < outWidth; x += 1) {
      let sum = 0;
      for (const [index, weight] of xWeights[x]!) sum += source[row + index]! * weight;
      horizontal[y * outWidth + x] = sum;
    }
  }
  const output = new Float32Array(outWidth * outHeight);
  const yWeights = areaWeights(box.height, outHeight);
  for (let y = 0; y < outHeight; y += 1) {
    for (const [index, weight] of yWeights[y]!) {
      for (let x = 0; x < outWidth; x += 1)
        output[y * outWidth + x]! += horizontal[index * outWidth + x]! * weight;
    }
  }
  return output;
}

/** For each of `outSize` cells, the source cells it overlaps and their overlap as a fraction of the cell. */
function areaWeights(inSize: number, outSize: number): [number, number][][] {
  const ratio = inSize / outSize;
  const weights: [number, number][][] = [];
  for (let out = 0; out < outSize; out += 1) {
    const start = out * ratio;
    const end = (out + 1) * ratio;
    const cell: [number, number][] = [];
    for (let index = Math.floor(start); index < Math.min(inSize, Math.ceil(end)); index += 1) {
      const overlap = Math.min(end, index + 1) - Math.max(start, index);
      if (overlap > 0) cell.push([index, overlap / ratio]);
    }
    weights.push(cell);
  }
  return weights;
}

/** Places the fitted digit in 28×28 so its centre of mass falls on the centre (whole-pixel shift, as MNIST). */
function placeByCentreOfMass(fitted: Float32Array, fittedWidth: number, fittedHeight: number): Uint8Array {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < fittedHeight; y += 1) {
    for (let x = 0; x < fittedWidth; x += 1) {
      const value = fitted[y * fittedWidth + x]!;
      mass += value;
      sumX += value * (x + 0.5);
      sumY += value * (y + 0.5);
    }
  }
  const centreX = mass > 0 ? sumX / mass : fittedWidth / 2;
  const centreY = mass > 0 ? sumY / mass : fittedHeight / 2;
  const left = Math.min(SIDE - fittedWidth, Math.max(0, Math.round(SIDE / 2 - centreX)));
  const top = Math.min(SIDE - fittedHeight, Math.max(0, Math.round(SIDE / 2 - centreY)));
  const pixels = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < fittedHeight; y += 1) {
    for (let x = 0; x < fittedWidth; x += 1) {
      pixels[(top + y) * SIDE + left + x] = Math.round(Math.min(255, fitted[y * fittedWidth + x]!));
    }
  }
  return pixels;
}
