import { parseInputScale, scaleTable } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import { InputShapeError, NonFiniteOutputError } from './errors.js';

/**
 * Class probabilities for byte images (n × h × w × c, 0-255, scaled as `inputScale` says: `unit` (÷255,
 * the default, as cnnx trains), `none` or `standard:MEAN:STD`), in batches so memory stays flat. Returns
 * n × classes floats, row-major; an output that is NaN or infinite (weights that hold NaN) throws
 * {@link NonFiniteOutputError} instead.
 *
 * @example
 * const probabilities = await predict(model, test.images, test.shape);
 * probabilities.length; // test.count * 10
 * await predict(keras.model, test.images, test.shape, { inputScale: keras.inputScale }); // raw pixels for 'none'
 */
export async function predict(
  model: tf.LayersModel,
  images: Uint8Array,
  shape: readonly number[],
  options: { batchSize?: number; inputScale?: string } = {},
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 256;
  const table = scaleTable(parseInputScale(options.inputScale ?? 'unit', "'inputScale'"));
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`'batchSize' must be an integer ≥ 1; got ${batchSize}`);
  }
  const expected = model.inputs[0]?.shape.slice(1) ?? [];
  if (shape.length !== 3 || expected.some((size, axis) => size !== null && size !== shape[axis])) {
    throw new InputShapeError(
      expected.map((size) => size ?? -1),
      [...shape],
      'the images',
    );
  }
  const pixels = shape[0]! * shape[1]! * shape[2]!;
  if (images.length % pixels !== 0) {
    throw new RangeError(
      `'images' has ${images.length} bytes, not a multiple of ${pixels} (${shape.join('×')})`,
    );
  }
  const count = images.length / pixels;
  const classes = model.outputs[0]!.shape[1] as number;
  const probabilities = new Float32Array(count * classes);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const batch = tf.tidy(() => {
      const floats = new Float32Array((end - start) * pixels);
      const bytes = images.subarray(start * pixels, end * pixels);
      for (let index = 0; index < bytes.length; index += 1) floats[index] = table[bytes[index]!]!;
      const input = tf.tensor4d(floats, [end - start, shape[0]!, shape[1]!, shape[2]!]);
      return model.predict(input) as tf.Tensor;
    });
    probabilities.set(await batch.data<'float32'>(), start * classes);
    batch.dispose();
  }
  const bad = probabilities.findIndex((value) => !Number.isFinite(value));
  if (bad !== -1) throw new NonFiniteOutputError(Math.floor(bad / classes), probabilities[bad]!);
  return probabilities;
}
