import { type PageImage, PREPARE_WORKING_SIZE, rgbaToGray } from '@cnnx/data';

/** A grayscale image: one byte per pixel, row-major. */
export interface GrayImage {
  gray: Uint8Array;
  width: number;
  height: number;
}

/**
 * The largest side an uploaded image is prepared at: bigger photos are scaled down first, to the working
 * size `prepareDigit` (`cnnx predict`, the server's /classify) decodes photos to.
 */
export const MAX_UPLOAD_SIDE = PREPARE_WORKING_SIZE;

/**
 * Decodes an image file (PNG, JPEG, WebP, …) to its RGBA pixels, without colour management, so a PNG keeps its
 * exact values; the preparation then reads the colours, as `prepareDigit` does.
 *
 * @example
 * const { image, bitmap } = await decodeImageFile(input.files[0]); // image.channels === 4, image.width <= 256
 */
export async function decodeImageFile(file: Blob): Promise<{ image: PageImage; bitmap: ImageBitmap }> {
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
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  return { image: { pixels: data, width, height, channels: 4 }, bitmap };
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
