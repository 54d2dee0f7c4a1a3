import { channelsLastOf } from './nchwc.js';
import { type Ops, transposeSource } from './ops.js';

/** NCHW → NHWC. */
export const TO_CHANNELS_LAST = [0, 2, 3, 1];
/** NHWC → NCHW. */
export const TO_CHANNELS_FIRST = [0, 3, 1, 2];

/**
 * A training-graph value in tfjs's element order: rank-4 values are held channels-first, so they are
 * transposed (a value transposed from NHWC is its source, and a blocked node's output is reordered from its
 * blocks to NHWC instead); other ranks already are.
 *
 * @example
 * toTfjsOrder(ops, conv.name, 4); // a Transpose to NHWC
 */
export function toTfjsOrder(ops: Ops, name: string, rank: number): string {
  if (rank !== 4) return name;
  return (
    transposeSource(ops.graph, name, TO_CHANNELS_FIRST) ??
    channelsLastOf(ops, name) ??
    ops.transpose(name, TO_CHANNELS_LAST)
  );
}

/**
 * The reverse of {@link toTfjsOrder}: a value in tfjs's order into the training graph's layout.
 *
 * @example
 * fromTfjsOrder(ops, reshaped, 4); // a Transpose to NCHW
 */
export function fromTfjsOrder(ops: Ops, name: string, rank: number): string {
  return rank === 4
    ? (transposeSource(ops.graph, name, TO_CHANNELS_LAST) ?? ops.transpose(name, TO_CHANNELS_FIRST))
    : name;
}

/**
 * The ONNX axis of a tfjs axis (possibly negative) for a value of `rank` in the training graph's layout.
 *
 * @example
 * trainingAxis(-1, 4); // 1 (channels)
 * trainingAxis(-1, 2); // 1
 */
export function trainingAxis(axis: number, rank: number): number {
  const positive = axis < 0 ? axis + rank : axis;
  if (positive < 0 || positive >= rank) throw new RangeError(`axis ${axis} is out of range for rank ${rank}`);
  if (rank !== 4 || positive === 0) return positive;
  return positive === 3 ? 1 : positive + 1;
}
