import { createRandom } from '@cnnx/data/browser';

/**
 * `count` uniform floats in [0, 1) from `seed`.
 *
 * @example
 * randomUniform(3, 1); // Float32Array of 3 values in [0, 1), the same on every call
 */
export function randomUniform(count: number, seed: number): Float32Array {
  const random = createRandom(seed);
  const values = new Float32Array(count);
  for (let index = 0; index < count; index++) values[index] = random.next();
  return values;
}

/**
 * Reorders an NHWC batch into NCHW.
 *
 * @example
 * nhwcToNchw(pixels, [7, 28, 28, 1]); // Float32Array of 7×1×28×28
 */
export function nhwcToNchw(values: Float32Array, shape: number[]): Float32Array {
  const [batch, height, width, channels] = shape as [number, number, number, number];
  const result = new Float32Array(values.length);
  for (let n = 0; n < batch; n++)
    for (let h = 0; h < height; h++)
      for (let w = 0; w < width; w++)
        for (let c = 0; c < channels; c++)
          result[((n * channels + c) * height + h) * width + w] =
            values[((n * height + h) * width + w) * channels + c]!;
  return result;
}
