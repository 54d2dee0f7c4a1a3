import type { Random } from './random.js';

/** Random geometric changes applied to each training image, as Keras' `ImageDataGenerator` does. */
export interface Augmentation {
  /** Largest shift in pixels, in each direction (e.g. 2). */
  shift?: number;
  /** Largest rotation in degrees, either way (e.g. 10). */
  rotate?: number;
  /** Largest relative zoom, in or out (e.g. 0.1 for 90%-110%). */
  zoom?: number;
  /**
   * Mirror left-right with probability ½, as Keras' `RandomFlip('horizontal')` does. For sets where a
   * mirrored image is the same class (clothing, objects), never for digits or letters.
   */
  flip?: boolean;
}

/**
 * Whether `augmentation` changes anything at all.
 *
 * @example
 * augments({ shift: 0 }); // false
 * augments({ flip: true }); // true
 */
export function augments(augmentation: Augmentation | undefined): augmentation is Augmentation {
  if (augmentation === undefined) return false;
  const { shift = 0, rotate = 0, zoom = 0, flip = false } = augmentation;
  return shift > 0 || rotate > 0 || zoom > 0 || flip;
}

/**
 * Writes one randomly shifted, rotated, zoomed and (with `flip`) mirrored copy of `image` (h × w × c
 * bytes) into `output` as floats through `table` (byte → scaled float), with bilinear sampling; outside
 * the image is 0 (byte 0). With neither rotation nor zoom, shifts are whole pixels, so the copy stays
 * as sharp as the original (a random crop of the zero-padded image).
 *
 * @example
 * const table = scaleTable('unit');
 * augmentImage(digit, 28, 28, 1, { shift: 2, rotate: 10, zoom: 0.1 }, createRandom(1), table, out, 0);
 */
export function augmentImage(
  image: Uint8Array,
  height: number,
  width: number,
  channels: number,
  augmentation: Augmentation,
  random: Random,
  table: Float32Array,
  output: Float32Array,
  offset: number,
): void {
  const { shift = 0, rotate = 0, zoom = 0, flip = false } = augmentation;
  const angle = (random.uniform(-rotate, rotate) * Math.PI) / 180;
  const scale = 1 + random.uniform(-zoom, zoom);
  const wholePixels = rotate === 0 && zoom === 0;
  const dx = wholePixels ? Math.round(random.uniform(-shift, shift)) : random.uniform(-shift, shift);
  const dy = wholePixels ? Math.round(random.uniform(-shift, shift)) : random.uniform(-shift, shift);
  // mirrored: output column x is written where column w-1-x would be
  const mirrored = flip && random.next() < 0.5;
  const rowStride = width * channels;
  // inverse map: output pixel → source position
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const cx = width / 2 - 0.5;
  const cy = height / 2 - 0.5;
  const zero = table[0]!;
  for (let y = 0; y < height; y += 1) {
    let at = offset + y * rowStride + (mirrored ? rowStride - channels : 0);
    const step = mirrored ? -2 * channels : 0;
    const ry = y - cy - dy;
    const rx0 = -cx - dx;
    // source position of x = 0 on this row; it moves by (cos, -sin) per output pixel
    let sx = cos * rx0 + sin * ry + cx - cos;
    let sy = -sin * rx0 + cos * ry + cy + sin;
    for (let x = 0; x < width; x += 1) {
      sx += cos;
      sy -= sin;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      // inside: the four neighbours exist (the common case, no bounds checks per read)
      const inside = x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height;
      const row0 = (y0 * width + x0) * channels;
      const row1 = row0 + width * channels;
      for (let c = 0; c < channels; c += 1) {
        const b00 = inside ? image[row0 + c]! : byteAt(image, width, height, channels, x0, y0, c);
        const b10 = inside
          ? image[row0 + channels + c]!
          : byteAt(image, width, height, channels, x0 + 1, y0, c);
        const b01 = inside ? image[row1 + c]! : byteAt(image, width, height, channels, x0, y0 + 1, c);
        const b11 = inside
          ? image[row1 + channels + c]!
          : byteAt(image, width, height, channels, x0 + 1, y0 + 1, c);
        // four background bytes (most of a digit's page): either blend below would give `zero` exactly
        if ((b00 | b10 | b01 | b11) === 0) {
          output[at++] = zero;
          continue;
        }
        const v00 = table[b00]!;
        const v10 = table[b10]!;
        const v01 = table[b01]!;
        const v11 = table[b11]!;
        output[at++] = inside
          ? v00 + (v10 - v00) * fx + (v01 - v00 + (v11 - v01 - v10 + v00) * fx) * fy
          : (v00 * (1 - fx) + v10 * fx) * (1 - fy) + (v01 * (1 - fx) + v11 * fx) * fy;
      }
      at += step;
    }
  }
}

/** The byte at (x, y, c), or 0 (the background, `table[0]`) outside the image. */
function byteAt(
  image: Uint8Array,
  width: number,
  height: number,
  channels: number,
  x: number,
  y: number,
  c: number,
): number {
  return x >= 0 && y >= 0 && x < width && y < height ? image[(y * width + x) * channels + c]! : 0;
}
