import { rgbaToGray } from '@cnnx/data';

/** A grayscale image: one byte per pixel, row-major. */
export interface GrayImage {
  gray: Uint8Array;
  width: number;
  height: number;
}

/**
 * The largest side an uploaded image is prepared at; bigger photos are scaled down first, as `prepareDigit`
 * (`cnnx predict`) does with its default `workingSize`.
 */
export const MAX_UPLOAD_SIDE = 512;

/**
 * Decodes an image file (PNG, JPEG, WebP, …) to gray pixels, without colour management, so a gray PNG keeps its
 * exact values.
 *
 * @example
 * const { image, bitmap } = await decodeImageFile(input.files[0]); // image.width === bitmap.width
 */
export async function decodeImageFile(file: Blob): Promise<{ image: GrayImage; bitmap: ImageBitmap }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    const name = file instanceof File ? file.name : 'the file';
    throw new TypeError(
      `${name} is not an image this browser can decode (type '${file.type || 'unknown'}')`,
      {
        cause: error,
      },
    );
  }
  const scale = Math.min(1, MAX_UPLOAD_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) throw new TypeError('this browser gives no 2d context to an OffscreenCanvas');
  context.drawImage(bitmap, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  return { image: { gray: rgbaToGray(data, width, height), width, height }, bitmap };
}

/**
 * The gray pixels of an RGBA image such as a canvas's, by @cnnx/data's `rgbaToGray` (the luma `cnnx predict` uses).
 *
 * @example
 * grayOf(pad.imageData()).gray.length; // 280 * 280
 */
export function grayOf(image: ImageData): GrayImage {
  return {
    gray: rgbaToGray(image.data, image.width, image.height),
    width: image.width,
    height: image.height,
  };
}
