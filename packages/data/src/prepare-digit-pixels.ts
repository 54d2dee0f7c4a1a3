import { luma, onWhite } from './luma.js';
import type { DigitBox, PrepareDigitOptions, PreparedDigit } from './types.js';

/*
 * The 28×28 preparation MNIST's authors applied to every digit, on plain typed arrays (no Node, no DOM),
 * so the browser demo and `cnnx predict` run the very same code:
 *   polarity → background removal and contrast stretch → ink mask without specks → box →
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
 * Turns a grayscale image of one digit (any size, either polarity, uneven lighting, specks of noise) into
 * MNIST's form: 28×28, bright ink on black, the ink's box scaled to fit 20×20 with its aspect ratio kept,
 * and its centre of mass at the centre. `gray` holds `width × height` values from 0 to 255.
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
  const { polarity = 'auto', fitSize = 20 } = options;
  if (!['auto', 'dark-on-light', 'light-on-dark'].includes(polarity)) {
    throw new RangeError(
      `'polarity' must be auto, dark-on-light or light-on-dark, got ${JSON.stringify(polarity)}`,
    );
  }
  if (!Number.isInteger(fitSize) || fitSize < 1 || fitSize > SIDE) {
    throw new RangeError(`'fitSize' must be an integer from 1 to ${SIDE}, got ${fitSize}`);
  }

  const inverted = polarity === 'auto' ? isDarkOnLight(gray, width, height) : polarity === 'dark-on-light';
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i += 1) ink[i] = inverted ? 255 - gray[i]! : gray[i]!;

  removeBackground(ink, width, height);
  const empty = {
    pixels: new Uint8Array(SIDE * SIDE),
    width: SIDE,
    height: SIDE,
    inverted,
    box: null,
  } as const;
  if (!stretchContrast(ink)) return empty;

  const threshold = Math.max(otsuThreshold(ink), 48);
  const box = inkBox(ink, width, height, threshold);
  if (!box) return empty;

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
  };
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || width < 1)
    throw new RangeError(`'width' must be a positive integer, got ${width}`);
  if (!Number.isInteger(height) || height < 1) {
    throw new RangeError(`'height' must be a positive integer, got ${height}`);
  }
}

/** The value below which `fraction` of `values` lie (a 256-bin histogram; values are 0-255). */
function percentile(values: ArrayLike<number>, fraction: number): number {
  const histogram = new Uint32Array(256);
  for (let i = 0; i < values.length; i += 1)
    histogram[Math.min(255, Math.max(0, Math.round(values[i]!)))]! += 1;
  const target = fraction * (values.length - 1);
  let seen = 0;
  for (let value = 0; value < 256; value += 1) {
    seen += histogram[value]!;
    if (seen > target) return value;
  }
  return 255;
}

/**
 * Paper is what surrounds the digit: when the image's border is brighter than the middle of its range,
 * the digit is dark ink on light paper.
 */
function isDarkOnLight(gray: ArrayLike<number>, width: number, height: number): boolean {
  const band = Math.max(1, Math.round(Math.min(width, height) * 0.05));
  const border: number[] = [];
  for (let y = 0; y < height; y += 1) {
    const edgeRow = y < band || y >= height - band;
    for (let x = 0; x < width; x += 1) {
      if (edgeRow || x < band || x >= width - band) border.push(gray[y * width + x]!);
    }
  }
  const borderLevel = percentile(border, 0.5);
  const middle = (percentile(gray, 0.01) + percentile(gray, 0.99)) / 2;
  return borderLevel > middle;
}

/**
 * Subtracts a smooth estimate of the paper's brightness (uneven lighting of a phone photo): the median of
 * each block, lowered to the darkest block nearby so thick strokes do not count as background, and
 * interpolated bilinearly between block centres.
 */
function removeBackground(ink: Float32Array, width: number, height: number): void {
  const block = Math.max(2, Math.ceil(Math.max(width, height) / 16));
  const columns = Math.ceil(width / block);
  const rows = Math.ceil(height / block);
  const medians = new Float32Array(columns * rows);
  const histogram = new Uint32Array(256);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < columns; column += 1) {
      histogram.fill(0);
      let count = 0;
      for (let y = row * block; y < Math.min(height, (row + 1) * block); y += 1) {
        for (let x = column * block; x < Math.min(width, (column + 1) * block); x += 1) {
          histogram[ink[y * width + x]! | 0]! += 1;
          count += 1;
        }
      }
      let seen = 0;
      let median = 0;
      while (median < 255 && seen + histogram[median]! <= count >> 1) seen += histogram[median++]!;
      medians[row * columns + column] = median;
    }
  }
  const radius = 2;
  const levels = new Float32Array(columns * rows);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < columns; column += 1) {
      let lowest = Number.POSITIVE_INFINITY;
      for (let r = Math.max(0, row - radius); r <= Math.min(rows - 1, row + radius); r += 1) {
        for (let c = Math.max(0, column - radius); c <= Math.min(columns - 1, column + radius); c += 1) {
          lowest = Math.min(lowest, medians[r * columns + c]!);
        }
      }
      levels[row * columns + column] = lowest;
    }
  }
  for (let y = 0; y < height; y += 1) {
    const fy = Math.min(rows - 1, Math.max(0, (y + 0.5) / block - 0.5));
    const r0 = Math.floor(fy);
    const r1 = Math.min(rows - 1, r0 + 1);
    const wy = fy - r0;
    for (let x = 0; x < width; x += 1) {
      const fx = Math.min(columns - 1, Math.max(0, (x + 0.5) / block - 0.5));
      const c0 = Math.floor(fx);
      const c1 = Math.min(columns - 1, c0 + 1);
      const wx = fx - c0;
      const top = levels[r0 * columns + c0]! * (1 - wx) + levels[r0 * columns + c1]! * wx;
      const bottom = levels[r1 * columns + c0]! * (1 - wx) + levels[r1 * columns + c1]! * wx;
      const index = y * width + x;
      ink[index] = Math.max(0, ink[index]! - (top * (1 - wy) + bottom * wy));
    }
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

/** Otsu's threshold: the level that best separates ink from background in the histogram. */
function otsuThreshold(ink: Float32Array): number {
  const histogram = new Float64Array(256);
  for (let i = 0; i < ink.length; i += 1) histogram[Math.round(ink[i]!)]! += 1;
  let total = 0;
  for (let value = 0; value < 256; value += 1) total += value * histogram[value]!;
  let below = 0;
  let belowSum = 0;
  let best = 0;
  let bestVariance = -1;
  for (let value = 0; value < 256; value += 1) {
    below += histogram[value]!;
    if (below === 0) continue;
    const above = ink.length - below;
    if (above === 0) break;
    belowSum += value * histogram[value]!;
    const meanBelow = belowSum / below;
    const meanAbove = (total - belowSum) / above;
    const variance = below * above * (meanBelow - meanAbove) ** 2;
    if (variance > bestVariance) {
      bestVariance = variance;
      best = value;
    }
  }
  return best;
}

/**
 * The bounding box of the ink, ignoring specks: pixels above `threshold` are grouped into 8-connected
 * components, and components smaller than 5% of the largest are cleared and left out of the box.
 */
function inkBox(ink: Float32Array, width: number, height: number, threshold: number): DigitBox | null {
  const component = new Int32Array(width * height).fill(-1);
  const areas: number[] = [];
  const stack = new Int32Array(width * height);
  for (let start = 0; start < ink.length; start += 1) {
    if (ink[start]! <= threshold || component[start] !== -1) continue;
    const id = areas.length;
    let area = 0;
    let top = 0;
    stack[top++] = start;
    component[start] = id;
    while (top > 0) {
      const index = stack[--top]!;
      area += 1;
      const x = index % width;
      const y = (index - x) / width;
      for (let dy = -1; dy <= 1; dy += 1) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx += 1) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const next = ny * width + nx;
          if (component[next] === -1 && ink[next]! > threshold) {
            component[next] = id;
            stack[top++] = next;
          }
        }
      }
    }
    areas.push(area);
  }
  if (areas.length === 0) return null;
  const largest = Math.max(...areas);
  const keep = areas.map((area) => area >= largest * 0.05);
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const index = y * width + x;
      const id = component[index]!;
      if (id === -1) {
        // faint pixels that belong to no stroke are paper texture; keep the anti-aliased edges of strokes
        if (ink[index]! < threshold / 2) ink[index] = 0;
        continue;
      }
      if (!keep[id]) {
        ink[index] = 0;
        continue;
      }
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
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
