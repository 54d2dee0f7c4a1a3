/** Top-k ranking: the one place a row of class probabilities becomes the best classes, best first. */
import type { Classification, ClassScore } from '../types.js';

/**
 * The `topK` most probable classes of one image's `probabilities` (one value per class), best first; equal
 * probabilities keep the lower class index first. Labels come from `classNames` (the index as text where a
 * name is missing). `topK` beyond the number of classes lists every class.
 *
 * @example
 * rankClasses(Float32Array.of(0.1, 0.7, 0.2), ['cat', 'dog', 'owl'], 2);
 * // → { label: 'dog', index: 1, probability: 0.7, top: [{ label: 'dog', … }, { label: 'owl', index: 2, probability: 0.2 }] }
 */
export function rankClasses(
  probabilities: ArrayLike<number>,
  classNames: readonly string[],
  topK: number,
): Classification {
  if (probabilities.length === 0) throw new RangeError("'probabilities' is empty: there is no class to rank");
  const order = Array.from({ length: probabilities.length }, (_, index) => index).sort(
    (a, b) => (probabilities[b] as number) - (probabilities[a] as number) || a - b,
  );
  const top: ClassScore[] = order.slice(0, Math.max(1, topK)).map((index) => ({
    label: classNames[index] ?? String(index),
    index,
    probability: probabilities[index] as number,
  }));
  return { ...(top[0] as ClassScore), top };
}
