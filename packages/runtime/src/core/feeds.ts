/** Checking the tensors given to `run` against the model's inputs. */
import type { TensorLike, ValueInfo } from '../types.js';

/**
 * A shape as `[1, 28, 28, 1]`, symbolic dimensions by name.
 *
 * @example
 * formatShape(['batch', 28, 28, 1]); // → '[batch, 28, 28, 1]'
 */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Throws a RangeError naming the expected and the given shape when `feed` does not fit `input`: its type, its
 * rank, a fixed dimension, or the number of values its data holds.
 *
 * @example
 * checkFeed({ name: 'image', type: 'float32', shape: ['batch', 28, 28, 1] }, { type: 'float32', dims: [1, 28, 28], data });
 * // RangeError: input 'image' expects [batch, 28, 28, 1] (float32), got [1, 28, 28] (float32)
 */
export function checkFeed(input: ValueInfo, feed: TensorLike): void {
  const dims = feed.dims;
  const got = `got ${formatShape(dims ?? [])} (${feed.type})`;
  const wanted = `input '${input.name}' expects ${formatShape(input.shape)} (${input.type})`;
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`${wanted}, got dims ${String(dims)}`);
  }
  if (input.type !== 'unknown' && feed.type !== input.type) throw new RangeError(`${wanted}, ${got}`);
  const shapeMatches =
    input.shape.length === 0 ||
    (dims.length === input.shape.length &&
      input.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === dims[i]));
  if (!shapeMatches) throw new RangeError(`${wanted}, ${got}`);
  const data = feed.data as { length?: unknown } | null;
  const size = dims.reduce((a, b) => a * b, 1);
  if (data && typeof data.length === 'number' && data.length !== size) {
    throw new RangeError(
      `${wanted}: dims ${formatShape(dims)} need ${size} values, the data has ${data.length}`,
    );
  }
}
