import { channelsLastOf } from './nchwc.js';
import type { Ops } from './ops.js';

/** NCHW → NHWC. */
export const TO_CHANNELS_LAST = [0, 2, 3, 1];
/** NHWC → NCHW. */
export const TO_CHANNELS_FIRST = [0, 3, 1, 2];

/**
 * A training-graph value in tfjs's element order: rank-4 values are held channels-first, so they are
 * transposed (a blocked node's output is reordered from its blocks to NHWC instead); other ranks already are.
 *
 * @example
 * toTfjsOrder(ops, conv.name, 4); // a Transpose to NHWC
 */
export function toTfjsOrder(ops: Ops, name: string, rank: number): string {
  if (rank !== 4) return name;
  return (
    transposedFrom(ops, name, TO_CHANNELS_FIRST) ??
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
    ? (transposedFrom(ops, name, TO_CHANNELS_LAST) ?? ops.transpose(name, TO_CHANNELS_FIRST))
    : name;
}

/**
 * The value that `name` is a Transpose of by `perm`, if it is one: transposing it back is then that value
 * itself (a layer that works channels-last hands its NHWC value to a Flatten this way, and the Transposes
 * between them are read by nothing and pruned).
 */
function transposedFrom(ops: Ops, name: string, perm: number[]): string | undefined {
  const producer = ops.graph.producer(name);
  if (producer?.opType !== 'Transpose' || producer.domain !== undefined) return undefined;
  const attribute = producer.attributes.perm;
  return Array.isArray(attribute) && attribute.join() === perm.join() ? producer.inputs[0] : undefined;
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
