import type { DigitBox } from '../types.js';
import { labelComponents, pickDigit } from './components.js';
import {
  blockReduce,
  boxBlur,
  closing,
  expandBlocks,
  type FloatImage,
  quantile,
  squareExtreme,
} from './filters.js';
import { findRuledLines } from './lines.js';

/*
 * From a photo of a page to the ink of the one digit on it, on plain typed arrays (no Node, no DOM):
 *   polarity → the paper's colour and light, estimated at a large scale (a closing) and divided out, so
 *   shadows and gradients vanish → ink strength as the darkest channel's drop below the paper (coloured ink
 *   counts as much as black) → a threshold above the noise (higher where the paper is darker, as division
 *   amplifies it there) and relative to the strongest ink nearby, with hysteresis so faint pencil stays
 *   joined → printed lines and margins removed → connected components, the digit picked among them.
 */

/** An image to clean: 1 (gray), 3 (RGB) or 4 (RGBA) values per pixel, 0-255, row-major. */
export interface PageImage {
  pixels: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/** The ink of the digit on a page, and what was found on the way. */
export interface CleanedPage {
  /** Ink strength of the digit's strokes, 0 (paper) to 1 (the strongest ink); every other mark is 0. */
  ink: Float32Array;
  width: number;
  height: number;
  /** Where the digit is; `null` when the page holds no ink. */
  box: DigitBox | null;
  /** True when the page was dark ink on a light background (and so was inverted). */
  inverted: boolean;
  /**
   * The cleaned page for people, gray, as wide and high as the input: white paper, the digit's ink dark,
   * and the marks that were dropped (printed lines, specks, other marks) light gray. Only with `keepPage`.
   */
  page?: Uint8Array;
}

/** Options of {@link cleanPage}. */
export interface CleanPageOptions {
  /** `auto` (default) decides from the border; `dark-on-light` always inverts; `light-on-dark` never does. */
  polarity?: 'auto' | 'dark-on-light' | 'light-on-dark';
  /** Also return the cleaned page for people (`page`). */
  keepPage?: boolean;
}

/**
 * The longer side, in pixels, a photo is reduced to before its page is cleaned: `prepareDigit`'s default
 * `workingSize`, and what the browser demo scales uploads to. A digit does not need more to become 20×20,
 * and printed lines stay a pixel or two thick.
 */
export const PREPARE_WORKING_SIZE = 256;

/** The paper estimate works on about this many blocks along the longer side. */
const PAPER_BLOCKS = 96;

/**
 * Finds the digit on a photographed or scanned page and returns its ink alone: the light evened out, the
 * paper's colour and the printed lines (ruled, squared, a margin) removed, specks and page edges dropped.
 *
 * @example
 * const page = cleanPage({ pixels: rgb, width: 256, height: 192, channels: 3 });
 * // { ink: Float32Array(49152), width: 256, height: 192, box: { left: 101, top: 52, width: 48, height: 81 }, inverted: true }
 */
export function cleanPage(image: PageImage, options: CleanPageOptions = {}): CleanedPage {
  const { width, height } = image;
  const { polarity = 'auto', keepPage = false } = options;
  const planes = colourPlanes(image);
  const inverted = polarity === 'auto' ? isDarkOnLight(planes, width, height) : polarity === 'dark-on-light';
  if (!inverted)
    for (const plane of planes) for (let i = 0; i < plane.length; i += 1) plane[i] = 255 - plane[i]!;

  const { darkness, paperLevel } = removePaper(planes, width, height);
  const smooth = boxBlur({ data: darkness, width, height }, 1).data;

  // noise: the spread of the (smoothed) darkness over the paper, in absolute units so shadows raise it
  const absolute = new Float32Array(smooth.length);
  for (let i = 0; i < smooth.length; i += 1) absolute[i] = smooth[i]! * paperLevel[i]!;
  const median = quantile(absolute, 0.5);
  for (let i = 0; i < absolute.length; i += 1) absolute[i] = Math.abs(absolute[i]! - median);
  // (at least 1%: a rendered page has no noise, but its anti-aliased edges should not count as marks)
  const spread = Math.max(0.01, 1.4826 * quantile(absolute, 0.5));
  const noiseFloor = median + 4 * spread;

  const nothing = (): CleanedPage => ({
    ink: new Float32Array(width * height),
    width,
    height,
    box: null,
    inverted,
    ...(keepPage ? { page: new Uint8Array(width * height).fill(255) } : {}),
  });
  if (quantile(smooth, 0.999) < Math.max(0.08, 2 * noiseFloor)) return nothing();

  // marks: above the noise; ink: also above a fifth (seeds: two fifths) of the strongest ink nearby
  const localTop = localMaximum(smooth, width, height);
  const marks = new Uint8Array(width * height);
  const candidate = new Uint8Array(width * height);
  const seed = new Uint8Array(width * height);
  for (let i = 0; i < smooth.length; i += 1) {
    const level = Math.max(0.05, paperLevel[i]!);
    const value = smooth[i]!;
    if (value > (median + 3 * spread) / level) {
      marks[i] = 1;
      if (value > 0.2 * localTop[i]!) candidate[i] = 1;
    }
    if (value > Math.max((median + 6 * spread) / level, 0.4 * localTop[i]!)) seed[i] = 1;
  }
  const lines = findRuledLines(marks, width, height);
  const mask = grow(seed, candidate, width, height);
  for (let i = 0; i < mask.length; i += 1) if (lines[i]) mask[i] = 0;

  const { labels, components } = labelComponents(mask, width, height, darkness);
  const keep = pickDigit(components, width, height);
  const digit = new Uint8Array(width * height);
  for (let i = 0; i < digit.length; i += 1) {
    const label = labels[i]!;
    if (label >= 0 && keep[label]) digit[i] = 1;
  }
  const level = quantile(darkness, 0.98, digit);
  if (level <= 0) return nothing();
  // the box holds the digit's own ink (the smoothed mask reaches a pixel past the strokes)
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  const ink = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const index = y * width + x;
      if (!digit[index]) continue;
      ink[index] = Math.min(1, darkness[index]! / level);
      if (ink[index]! < 0.2) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  if (right < 0) return nothing();
  keepEdges(ink, darkness, level, digit, labels, lines, width, height, { left, top, right, bottom });
  const cleaned: CleanedPage = {
    ink,
    width,
    height,
    box: { left, top, width: right - left + 1, height: bottom - top + 1 },
    inverted,
  };
  if (keepPage) {
    const page = new Uint8Array(width * height);
    for (let i = 0; i < page.length; i += 1) {
      const dropped = marks[i] ? Math.min(1, darkness[i]! / level) * 0.3 : 0;
      page[i] = Math.round(255 * (1 - Math.max(ink[i]!, dropped)));
    }
    cleaned.page = page;
  }
  return cleaned;
}

/** The colour planes as floats, 0-255, with transparency flattened onto white. */
function colourPlanes(image: PageImage): Float32Array[] {
  const { pixels, width, height, channels } = image;
  const count = width * height;
  const colours = channels === 1 ? 1 : 3;
  const planes = Array.from({ length: colours }, () => new Float32Array(count));
  for (let i = 0; i < count; i += 1) {
    const alpha = channels === 4 ? pixels[i * 4 + 3]! / 255 : 1;
    for (let c = 0; c < colours; c += 1) {
      planes[c]![i] = pixels[i * channels + c]! * alpha + 255 * (1 - alpha);
    }
  }
  return planes;
}

/**
 * Which way round the page is. When the frame's border is evenly lit (its 10th and 90th percentiles
 * within a quarter of the image's range), the border is paper: brighter than the middle of the image's
 * range means dark ink on light paper (this holds for a bold digit that fills the frame, and for MNIST's
 * white on black). A border crossed by a shadow or a desk says little, and then ink is the minority: take
 * away a coarse background (the median of each sixth of the image, interpolated, which follows shadows
 * whatever the polarity) and see which way the rest strays further. Dark ink leaves a long dark tail.
 */
function isDarkOnLight(planes: Float32Array[], width: number, height: number): boolean {
  const mean = new Float32Array(width * height);
  for (const plane of planes) {
    for (let i = 0; i < mean.length; i += 1) mean[i]! += plane[i]! / 255 / planes.length;
  }
  const band = Math.max(1, Math.round(Math.min(width, height) * 0.05));
  const border = new Uint8Array(width * height);
  for (let y = 0; y < height; y += 1) {
    const edgeRow = y < band || y >= height - band;
    for (let x = 0; x < width; x += 1) {
      if (edgeRow || x < band || x >= width - band) border[y * width + x] = 1;
    }
  }
  const low = quantile(mean, 0.01);
  const high = quantile(mean, 0.99);
  if (quantile(mean, 0.9, border) - quantile(mean, 0.1, border) < 0.25 * (high - low)) {
    return quantile(mean, 0.5, border) > (low + high) / 2;
  }
  const cell = Math.max(1, Math.ceil(Math.max(width, height) / 6));
  const background = expandBlocks(blockMedians(mean, width, height, cell), width, height, cell);
  const away = new Float32Array(width * height);
  for (let i = 0; i < away.length; i += 1) away[i] = (mean[i]! - background[i]! + 1) / 2;
  const darkTail = 0.5 - quantile(away, 0.005);
  const brightTail = quantile(away, 0.995) - 0.5;
  return darkTail >= brightTail;
}

/** The median of each `cell × cell` block of `values` (0-1), from one 256-bin histogram per block. */
function blockMedians(values: Float32Array, width: number, height: number, cell: number): FloatImage {
  const columns = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const histograms = new Uint32Array(columns * rows * 256);
  const counts = new Uint32Array(columns * rows);
  for (let y = 0; y < height; y += 1) {
    const row = Math.floor(y / cell) * columns;
    for (let x = 0; x < width; x += 1) {
      const block = row + Math.floor(x / cell);
      histograms[block * 256 + Math.min(255, Math.floor(values[y * width + x]! * 256))]! += 1;
      counts[block]! += 1;
    }
  }
  const medians = new Float32Array(columns * rows);
  for (let block = 0; block < medians.length; block += 1) {
    let seen = 0;
    let bin = 0;
    while (bin < 255 && seen + histograms[block * 256 + bin]! <= counts[block]! / 2) {
      seen += histograms[block * 256 + bin]!;
      bin += 1;
    }
    medians[block] = (bin + 0.5) / 256;
  }
  return { data: medians, width: columns, height: rows };
}

/**
 * Divides each colour plane by an estimate of the paper under it, and returns how far the darkest plane
 * falls below the paper (0 paper, 1 black), with the paper's brightness (0-1) for the noise estimate.
 * The paper is the closing of the plane at about a quarter of the longer side (strokes narrower than that
 * disappear, a straight shadow's edge stays where it is), computed on blocks and smoothed.
 */
function removePaper(
  planes: Float32Array[],
  width: number,
  height: number,
): { darkness: Float32Array; paperLevel: Float32Array } {
  const cell = Math.max(1, Math.round(Math.max(width, height) / PAPER_BLOCKS));
  const darkness = new Float32Array(width * height);
  const paperLevel = new Float32Array(width * height);
  for (const plane of planes) {
    const blocks = blockReduce(plane, width, height, cell);
    const radius = Math.max(1, Math.round(Math.max(blocks.width, blocks.height) / 8));
    const closed = closing(blocks, radius);
    const paper = expandBlocks(boxBlur(closed, 1), width, height, cell);
    for (let i = 0; i < darkness.length; i += 1) {
      const level = Math.max(1, paper[i]!);
      darkness[i] = Math.max(darkness[i]!, Math.min(1, 1 - plane[i]! / level));
      paperLevel[i]! += level / 255 / planes.length;
    }
  }
  return { darkness, paperLevel };
}

/** The strongest ink within about a sixth of the longer side of each pixel, smoothly interpolated. */
function localMaximum(values: Float32Array, width: number, height: number): Float32Array {
  const cell = Math.max(1, Math.round(Math.max(width, height) / PAPER_BLOCKS));
  const blocks: FloatImage = blockReduce(values, width, height, cell, { kind: 'max' });
  const radius = Math.max(1, Math.round(Math.max(blocks.width, blocks.height) / 12));
  return expandBlocks(boxBlur(squareExtreme(blocks, radius, 'max'), radius), width, height, cell);
}

/** The pixels of `candidate` connected (8-neighbours) to a pixel of `seed`: hysteresis thresholding. */
function grow(seed: Uint8Array, candidate: Uint8Array, width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  let top = 0;
  for (let i = 0; i < seed.length; i += 1) {
    if (seed[i] && candidate[i]) {
      mask[i] = 1;
      stack[top++] = i;
    }
  }
  while (top > 0) {
    const index = stack[--top]!;
    const x = index % width;
    const y = (index - x) / width;
    for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny += 1) {
      for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx += 1) {
        const next = ny * width + nx;
        if (candidate[next] && !mask[next]) {
          mask[next] = 1;
          stack[top++] = next;
        }
      }
    }
  }
  return mask;
}

/**
 * Keeps the soft edge of the digit's strokes: pixels next to the digit that belong to no other mark and
 * to no printed line keep their ink.
 */
function keepEdges(
  ink: Float32Array,
  darkness: Float32Array,
  level: number,
  digit: Uint8Array,
  labels: Int32Array,
  lines: Uint8Array,
  width: number,
  height: number,
  box: { left: number; top: number; right: number; bottom: number },
): void {
  const edge: number[] = [];
  // the digit's faint pixels may lie a little outside the box of its clear ink
  const margin = 3;
  for (let y = Math.max(0, box.top - margin); y <= Math.min(height - 1, box.bottom + margin); y += 1) {
    for (let x = Math.max(0, box.left - margin); x <= Math.min(width - 1, box.right + margin); x += 1) {
      const index = y * width + x;
      if (digit[index] || lines[index] || labels[index]! >= 0) continue;
      let near = false;
      for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1) && !near; ny += 1) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx += 1) {
          if (digit[ny * width + nx]) {
            near = true;
            break;
          }
        }
      }
      if (near) edge.push(index);
    }
  }
  for (const index of edge) ink[index] = Math.min(1, darkness[index]! / level);
}
