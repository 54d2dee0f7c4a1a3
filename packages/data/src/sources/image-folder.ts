import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { DatasetFormatError } from '../errors.js';
import { sha256 } from '../files.js';
import { luma } from '../luma.js';
import type { Dataset } from '../types.js';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  spec: string;
  /** Side of the square every image is resized to (default 28). */
  imageSize?: number;
  /** 1 (grayscale), 3 (RGB), or `auto` (default): 3 when any image has colour. */
  channels?: 1 | 3 | 'auto';
  /** Images with more pixels are refused before decoding (default 100 M). */
  maxPixels?: number;
}

/**
 * `images:DIR`: one subfolder per class (sorted names are the class names), every file in it an image
 * sharp reads, resized to `imageSize`² (stretched, as Keras' `image_dataset_from_directory` does).
 *
 * @example
 * const pets = await loadImageFolder('photos', { spec: 'images:photos', imageSize: 32 });
 * // classNames ['cat', 'dog'], shape [32, 32, 3]
 */
export async function loadImageFolder(folder: string, options: ImageFolderOptions): Promise<Dataset> {
  const { imageSize = 28, channels = 'auto', maxPixels = 100_000_000 } = options;
  if (!Number.isInteger(imageSize) || imageSize < 1 || imageSize > 4096) {
    throw new RangeError(`'imageSize' must be an integer from 1 to 4096, got ${imageSize}`);
  }
  const info = await stat(folder).catch((error: unknown) => {
    throw new DatasetFormatError(folder, 'does not exist', { cause: error });
  });
  if (!info.isDirectory())
    throw new DatasetFormatError(folder, 'is not a folder (expected one subfolder per class)');
  const entries = await readdir(folder, { withFileTypes: true });
  const classNames = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
  if (classNames.length === 0)
    throw new DatasetFormatError(folder, 'has no class subfolders (expected DIR/<class>/<image>)');
  const files: { path: string; label: number }[] = [];
  for (const [label, className] of classNames.entries()) {
    const classFolder = join(folder, className);
    const names = (await readdir(classFolder, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
    if (names.length === 0)
      throw new DatasetFormatError(classFolder, `class folder "${className}" has no images`);
    for (const name of names) files.push({ path: join(classFolder, name), label });
  }

  const decoded: { pixels: Buffer; colour: boolean; sha256: string }[] = new Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      decoded[index] = await decodeImage(files[index]!.path, imageSize, maxPixels);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));

  const channelCount = channels === 'auto' ? (decoded.some((image) => image.colour) ? 3 : 1) : channels;
  const size = imageSize * imageSize * channelCount;
  const images = new Uint8Array(files.length * size);
  decoded.forEach((image, index) => {
    const rgb = image.pixels;
    const offset = index * size;
    if (channelCount === 3) images.set(rgb, offset);
    else {
      for (let p = 0; p < imageSize * imageSize; p += 1) {
        images[offset + p] = Math.round(luma(rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!));
      }
    }
  });
  return {
    images,
    labels: Uint8Array.from(files, (file) => file.label),
    classNames,
    shape: [imageSize, imageSize, channelCount],
    count: files.length,
    source: {
      spec: options.spec,
      files: files.map((file, index) => ({ path: file.path, sha256: decoded[index]!.sha256 })),
    },
  };
}

async function decodeImage(
  path: string,
  imageSize: number,
  maxPixels: number,
): Promise<{ pixels: Buffer; colour: boolean; sha256: string }> {
  const bytes = await readFile(path);
  if (bytes.length === 0) throw new DatasetFormatError(path, 'is empty');
  try {
    const image = sharp(bytes, { limitInputPixels: false, failOn: 'error' });
    const metadata = await image.metadata();
    const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
    if (pixels > maxPixels) {
      throw new DatasetFormatError(
        path,
        `is ${metadata.width}×${metadata.height} = ${pixels} pixels, over the limit of ${maxPixels}`,
      );
    }
    const colour = !(metadata.channels === 1 || metadata.channels === 2 || metadata.space === 'b-w');
    const { data } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .resize(imageSize, imageSize, { fit: 'fill' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { pixels: data, colour, sha256: sha256(bytes) };
  } catch (error) {
    if (error instanceof DatasetFormatError) throw error;
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new DatasetFormatError(path, `is not an image sharp can read (${reason})`, { cause: error });
  }
}
