import { createRandom } from './random.js';
import type { Dataset } from './types.js';

/**
 * Splits sample indices into train and test so that every class keeps (to within one sample) the same
 * share in both parts. Seeded: the same labels, fraction and seed always give the same split.
 * Both index lists come back sorted ascending.
 *
 * @example
 * const { train, test } = stratifiedSplit(dataset.labels, 0.1, 42);
 * // 10,000 mnist-sample labels → train.length 9000, test.length 1000, ~100 of each digit in test
 */
export function stratifiedSplit(
  labels: Uint8Array,
  testFraction: number,
  seed: number,
): { train: Uint32Array; test: Uint32Array } {
  if (!(labels instanceof Uint8Array)) throw new TypeError(`'labels' must be a Uint8Array`);
  if (!Number.isFinite(testFraction) || testFraction < 0 || testFraction > 1) {
    throw new RangeError(`'testFraction' must be a number from 0 to 1, got ${testFraction}`);
  }
  const random = createRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, index) => {
    const members = byClass.get(label);
    if (members) members.push(index);
    else byClass.set(label, [index]);
  });
  const testMask = new Uint8Array(labels.length);
  let testCount = 0;
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = random.shuffle(byClass.get(label)!);
    const take = Math.round(members.length * testFraction);
    for (let i = 0; i < take; i += 1) testMask[members[i]!] = 1;
    testCount += take;
  }
  const train = new Uint32Array(labels.length - testCount);
  const test = new Uint32Array(testCount);
  let trainAt = 0;
  let testAt = 0;
  for (let index = 0; index < labels.length; index += 1) {
    if (testMask[index]) test[testAt++] = index;
    else train[trainAt++] = index;
  }
  return { train, test };
}

/**
 * Exactly `count` sample indices, drawn so that every class keeps its share (the largest remainders get the
 * samples left over after each class's whole share), seeded. Unlike a {@link stratifiedSplit} by fraction, a
 * small count on a balanced set still gives `count` samples, not zero. Sorted ascending.
 *
 * @example
 * stratifiedSample(fashion.labels, 5, 42).length; // 5 (a split by fraction 1 - 5/60000 rounds every class to 0)
 */
export function stratifiedSample(labels: Uint8Array, count: number, seed: number): Uint32Array {
  if (!(labels instanceof Uint8Array)) throw new TypeError(`'labels' must be a Uint8Array`);
  if (!Number.isInteger(count) || count < 0 || count > labels.length) {
    throw new RangeError(`'count' must be an integer from 0 to ${labels.length}, got ${count}`);
  }
  const random = createRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, index) => {
    const members = byClass.get(label);
    if (members) members.push(index);
    else byClass.set(label, [index]);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const shares = classes.map((label) => (byClass.get(label)!.length * count) / labels.length);
  const takes = shares.map(Math.floor);
  let left = count - takes.reduce((sum, take) => sum + take, 0);
  const byRemainder = classes
    .map((_, position) => position)
    .sort((a, b) => shares[b]! - takes[b]! - (shares[a]! - takes[a]!) || a - b);
  for (const position of byRemainder) {
    if (left === 0) break;
    takes[position]! += 1;
    left -= 1;
  }
  const chosen: number[] = [];
  classes.forEach((label, position) => {
    chosen.push(...random.shuffle(byClass.get(label)!).slice(0, takes[position]));
  });
  return Uint32Array.from(chosen.sort((a, b) => a - b));
}

/**
 * A new dataset holding only the samples at `indices`, in that order (images and labels copied).
 *
 * @example
 * const { test } = stratifiedSplit(dataset.labels, 0.2, 1);
 * const validation = subset(dataset, test); // validation.count === test.length
 */
export function subset(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const [height, width, channels] = dataset.shape;
  const size = height * width * channels;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i += 1) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= dataset.count) {
      throw new RangeError(`'indices[${i}]' is ${index}, expected an integer from 0 to ${dataset.count - 1}`);
    }
    images.set(dataset.images.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = dataset.labels[index]!;
  }
  return {
    images,
    labels,
    classNames: [...dataset.classNames],
    shape: [height, width, channels],
    count: indices.length,
    source: { ...dataset.source, files: [...dataset.source.files] },
  };
}
