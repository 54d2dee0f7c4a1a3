import sharp from 'sharp';

/**
 * One image of an n × height × width × channels batch as a PNG data URI, enlarged `scale` times with
 * nearest-neighbour sampling so the pixels stay crisp.
 *
 * @example
 * const url = await imageDataUri(images, [28, 28, 1], 0, 3); // 'data:image/png;base64,…' (84×84)
 */
export async function imageDataUri(
  images: Uint8Array,
  shape: readonly [number, number, number],
  index: number,
  scale = 3,
): Promise<string> {
  const [height, width, channels] = shape;
  const size = height * width * channels;
  if (index < 0 || (index + 1) * size > images.length) {
    throw new RangeError(`'index' ${index} is outside the ${Math.floor(images.length / size)} images`);
  }
  const pixels = images.subarray(index * size, (index + 1) * size);
  return pixelsDataUri(pixels, width, height, channels, scale);
}

/**
 * Raw 0-255 pixels (1, 3 or 4 channels) as a PNG data URI, enlarged `scale` times.
 *
 * @example
 * await pixelsDataUri(prepared.pixels, 28, 28, 1, 4); // 'data:image/png;base64,…' (112×112)
 */
export async function pixelsDataUri(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  scale = 3,
): Promise<string> {
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`'channels' is ${channels}; expected 1, 3 or 4`);
  }
  const png = await sharp(Buffer.from(pixels.buffer, pixels.byteOffset, width * height * channels), {
    raw: { width, height, channels },
  })
    .resize(Math.round(width * scale), Math.round(height * scale), { kernel: 'nearest' })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
