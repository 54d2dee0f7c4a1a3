/** Raw 0-255 pixels → the model's float input, in one pass: scaling, channel handling and layout together. */
import { luma, onWhite, type PixelAffine } from '@cnnx/data/browser';
import type { InputLayout } from '../types.js';

/** The model's image: height × width × channels. */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

type Pixels = Uint8Array | Uint8ClampedArray | Float32Array;

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * `target[targetStart + i] = bytes[sourceStart + i] * multiplier + offset` for `length` values, reading four
 * bytes per load where the bytes are 4-aligned (V8 does not vectorise; this halves the time of the
 * byte-at-a-time loop).
 */
function scaleBytes(
  bytes: Uint8Array | Uint8ClampedArray,
  sourceStart: number,
  target: Float32Array,
  targetStart: number,
  length: number,
  multiplier: number,
  offset: number,
): void {
  let i = 0;
  const absolute = bytes.byteOffset + sourceStart;
  if (littleEndian && length >= 64) {
    // Head: byte by byte up to a 4-aligned address.
    const head = (4 - (absolute % 4)) % 4;
    for (; i < head; i++) target[targetStart + i] = (bytes[sourceStart + i] as number) * multiplier + offset;
    const words = new Uint32Array(bytes.buffer, absolute + head, (length - head) >>> 2);
    let at = targetStart + head;
    for (let w = 0; w < words.length; w++, at += 4) {
      const word = words[w] as number;
      target[at] = (word & 255) * multiplier + offset;
      target[at + 1] = ((word >>> 8) & 255) * multiplier + offset;
      target[at + 2] = ((word >>> 16) & 255) * multiplier + offset;
      target[at + 3] = (word >>> 24) * multiplier + offset;
    }
    i = head + words.length * 4;
  }
  for (; i < length; i++) target[targetStart + i] = (bytes[sourceStart + i] as number) * multiplier + offset;
}

function checkFloatPixels(pixels: Float32Array, start: number, end: number, what: string): void {
  for (let i = start; i < end; i++) {
    const value = pixels[i] as number;
    if (!(value >= 0 && value <= 255)) {
      throw new RangeError(`${what}: pixel ${i - start} is ${value}; pixels must be numbers from 0 to 255`);
    }
  }
}

/**
 * Writes `count` images of `sourceChannels` channels (row-major, channels last) from `pixels` starting at
 * `sourceStart` into `target` at `targetStart`, in the model's layout and scale. Gray sources fill every
 * channel of a colour model; RGB(A) sources become gray (luma, alpha over white) for a gray model.
 * Float pixels must be 0-255 and not NaN (RangeError naming `what` otherwise).
 *
 * @example
 * writeImages(gray28x28, 0, 1, target, 0, 1, { height: 28, width: 28, channels: 1 }, 'nhwc', affineOf({ kind: 'unit' }), 'pixels');
 */
export function writeImages(
  pixels: Pixels,
  sourceStart: number,
  sourceChannels: number,
  target: Float32Array,
  targetStart: number,
  count: number,
  shape: ImageShape,
  layout: InputLayout,
  affine: PixelAffine,
  what: string,
): void {
  const area = shape.height * shape.width;
  const { multiplier, offset } = affine;
  const sourceLength = count * area * sourceChannels;
  if (pixels instanceof Float32Array) checkFloatPixels(pixels, sourceStart, sourceStart + sourceLength, what);

  if (sourceChannels === shape.channels && (shape.channels === 1 || layout === 'nhwc')) {
    // The common case: same memory order, one multiply-add per value.
    if (pixels instanceof Float32Array) {
      for (let i = 0; i < sourceLength; i++) {
        target[targetStart + i] = (pixels[sourceStart + i] as number) * multiplier + offset;
      }
    } else {
      scaleBytes(pixels, sourceStart, target, targetStart, sourceLength, multiplier, offset);
    }
    return;
  }

  const channels = shape.channels;
  for (let image = 0; image < count; image++) {
    const source = sourceStart + image * area * sourceChannels;
    const base = targetStart + image * area * channels;
    for (let p = 0; p < area; p++) {
      const at = source + p * sourceChannels;
      if (channels === 1) {
        let gray = luma(pixels[at] as number, pixels[at + 1] as number, pixels[at + 2] as number);
        if (sourceChannels === 4) gray = onWhite(gray, pixels[at + 3] as number);
        target[base + p] = gray * multiplier + offset;
        continue;
      }
      for (let c = 0; c < channels; c++) {
        const value = (sourceChannels === 1 ? pixels[at] : pixels[at + c]) as number;
        const index = layout === 'nhwc' ? base + p * channels + c : base + c * area + p;
        target[index] = value * multiplier + offset;
      }
    }
  }
}
