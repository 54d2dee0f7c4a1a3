import { stratifiedSample as sampleIndices } from '@cnnx/data';
import type { ImageSet } from '../types.js';

/**
 * Exactly `limit` images of `set`, the same share of each class as in the whole set (seeded, through
 * `@cnnx/data`'s `stratifiedSample`), in their original order; the set itself when it has no more than `limit`.
 *
 * @example
 * stratifiedSample(train, 10_000, 42).count; // 10,000 of Fashion-MNIST's 60,000, 1,000 of each class
 */
export function stratifiedSample(set: ImageSet, limit: number, seed: number): ImageSet {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`'limit' is ${limit}; expected an integer ≥ 1`);
  }
  if (set.count <= limit) return set;
  const kept = sampleIndices(set.labels, limit, seed);
  const features = set.images.length / set.count;
  const images = new Uint8Array(kept.length * features);
  const labels = new Uint8Array(kept.length);
  kept.forEach((image, row) => {
    images.set(set.images.subarray(image * features, (image + 1) * features), row * features);
    labels[row] = set.labels[image] as number;
  });
  return { images, labels, shape: set.shape, count: kept.length, classNames: set.classNames };
}
