import { type Augmentation, augmentImage, augments } from './augment.js';
import type { InputScale, PixelScale } from './input-scale.js';
import { createRandom } from './random.js';
import { scaleTable } from './tensors.js';
import type { Dataset } from './types.js';

/** One batch: NHWC float images and sparse or one-hot labels. */
export interface Batch {
  /** count × height × width × channels floats. */
  images: Float32Array;
  /** count class indices (`labels: 'sparse'`) or count × classes one-hot floats (`'one-hot'`). */
  labels: Uint8Array | Float32Array;
  count: number;
  /** Which dataset samples are in the batch. */
  indices: Uint32Array;
}

/** Options of {@link batches}. */
export interface BatchOptions {
  batchSize: number;
  /** Shuffle the order (default true); the order depends on `seed` and `epoch`, so every epoch reshuffles. */
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  scale?: PixelScale | InputScale;
  labels?: 'sparse' | 'one-hot';
  /** Random shifts, rotations and zoom, drawn from `seed` and `epoch`. */
  augment?: Augmentation;
  /** Leave out the last, smaller batch (default false). */
  dropRemainder?: boolean;
}

/**
 * Iterates over a dataset in batches, converting only the batch at hand from bytes to floats (the
 * dataset itself stays one byte per pixel). Seeded: same seed and epoch, same batches.
 *
 * @example
 * for (let epoch = 0; epoch < 5; epoch += 1) {
 *   for (const batch of batches(train, { batchSize: 64, seed: 42, epoch, augment: { shift: 2, rotate: 10 } })) {
 *     // batch.images: Float32Array(64 × 28 × 28 × 1) in [0, 1]; batch.labels: Uint8Array(64)
 *   }
 * }
 */
export function* batches(dataset: Dataset, options: BatchOptions): Generator<Batch> {
  const { batchSize, shuffle = true, seed = 0, epoch = 0, scale = 'unit', dropRemainder = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`'batchSize' must be a positive integer, got ${batchSize}`);
  }
  const [height, width, channels] = dataset.shape;
  const size = height * width * channels;
  const classes = dataset.classNames.length;
  const table = scaleTable(scale);
  const order = new Uint32Array(dataset.count);
  for (let i = 0; i < order.length; i += 1) order[i] = i;
  const random = createRandom((seed * 7919 + epoch * 104_729) >>> 0);
  if (shuffle) random.shuffle(order);
  const augment = options.augment;
  const augmenting = augments(augment);
  for (let start = 0; start < order.length; start += batchSize) {
    const count = Math.min(batchSize, order.length - start);
    if (count < batchSize && dropRemainder) break;
    const indices = order.slice(start, start + count);
    const images = new Float32Array(count * size);
    const sparse = new Uint8Array(count);
    for (let i = 0; i < count; i += 1) {
      const index = indices[i]!;
      const image = dataset.images.subarray(index * size, (index + 1) * size);
      if (augmenting) augmentImage(image, height, width, channels, augment, random, table, images, i * size);
      else for (let p = 0; p < size; p += 1) images[i * size + p] = table[image[p]!]!;
      sparse[i] = dataset.labels[index]!;
    }
    let labels: Uint8Array | Float32Array = sparse;
    if (options.labels === 'one-hot') {
      labels = new Float32Array(count * classes);
      for (let i = 0; i < count; i += 1) labels[i * classes + sparse[i]!] = 1;
    }
    yield { images, labels, count, indices };
  }
}
