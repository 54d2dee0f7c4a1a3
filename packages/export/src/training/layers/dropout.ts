import { toTfjsOrder } from '../layout.js';
import type { Ops } from '../ops.js';
import type { TrainerConfig } from './types.js';

/** Murmur3's multipliers, as uint32 constants. */
const GOLDEN = 0x9e3779b9;
const MIX1 = 0x85ebca6b;
const MIX2 = 0xc2b2ae35;
const SPREAD = 0xcc9e2d51;

function uint32(ops: Ops, dims: number[], values: number[], label: string): string {
  // Stored as int32 bit patterns, reinterpreted by a Cast (int32 → uint32 wraps).
  return ops.cast(
    ops.int32s(
      dims,
      values.map((value) => value | 0),
      label,
    ),
    'uint32',
  );
}

/**
 * A uniform uint32 for every element of a `[batch, size]` grid, from the step's seed and a stream number:
 * a counter-based hash (murmur3's finaliser, with xor replaced by addition because opset 17 has no
 * bitwise xor) in uint32 Mul/Add/BitShift, which wrap the same way on every onnxruntime provider.
 */
function uniformBits(ops: Ops, like: string, size: number, seed: string, stream: number): string {
  // Row index · size · SPREAD + column · SPREAD + key, as one broadcast Add of a [batch, 1] and a [1, size].
  const rows = ops.reshape(ops.batchIndices(like), [-1, 1]);
  const key = ops.add(
    ops.mul(ops.cast(seed, 'uint32'), uint32(ops, [], [GOLDEN], 'golden')),
    uint32(ops, [], [Math.imul(stream + 1, MIX1) >>> 0], 'stream'),
  );
  const rowPart = ops.add(
    ops.mul(ops.cast(rows, 'uint32'), uint32(ops, [], [Math.imul(size, SPREAD) >>> 0], 'row_step')),
    key,
  );
  const columns = Array.from({ length: size }, (_, column) => Math.imul(column, SPREAD) >>> 0);
  let bits = ops.add(rowPart, uint32(ops, [1, size], columns, 'columns'));
  const shiftAdd = (shift: number) =>
    ops.add(
      bits,
      ops.node('BitShift', [bits, uint32(ops, [], [shift], `shift${shift}`)], { direction: 'RIGHT' }),
    );
  bits = shiftAdd(16);
  bits = ops.mul(bits, uint32(ops, [], [MIX1], 'mix1'));
  bits = shiftAdd(13);
  bits = ops.mul(bits, uint32(ops, [], [MIX2], 'mix2'));
  return shiftAdd(16);
}

/**
 * Dropout in training: `x · keep / (1 − rate)`, as tfjs computes it, with `keep` drawn per element from the
 * step's seed input, so every step (and every seed) gets a fresh mask and a resumed run draws the same
 * ones. Gradient: the output gradient times the same multiplier.
 */
export const dropoutTrainer: TrainerConfig = {
  className: 'Dropout',
  check: (config) => {
    if (config.noiseShape !== null && config.noiseShape !== undefined) return 'a noiseShape';
    const rate = Number(config.rate);
    return Number.isFinite(rate) && rate >= 0 && rate < 1 ? null : `rate ${config.rate}`;
  },
  forward: (context) => {
    const { ops } = context;
    const input = context.inputs[0]!;
    const rate = Number(context.config.rate);
    if (rate === 0) return { outputs: [input], backward: (gradients) => gradients };
    const tail = input.shape.slice(1);
    if (tail.some((dim) => typeof dim !== 'number')) {
      throw new RangeError(
        `layer '${context.layerName}': dropout needs a known input shape, got [${input.shape.join(', ')}]`,
      );
    }
    const size = (tail as number[]).reduce((product, dim) => product * dim, 1);
    const bits = uniformBits(ops, input.name, size, context.seed, context.randomStream);
    // keep where bits / 2³² ≥ rate (tfjs keeps where its uniform draw exceeds the rate).
    const threshold = Math.min(Math.ceil(rate * 2 ** 32), 2 ** 32 - 1);
    const kept = ops.cast(
      ops.node('GreaterOrEqual', [bits, uint32(ops, [], [threshold], 'threshold')]),
      'float32',
    );
    const scale = Math.fround(1 / Math.fround(1 - Math.fround(rate)));
    const flatMultiplier = ops.mul(kept, ops.scalar(scale, 'scale'));
    const onnxShape =
      input.shape.length === 4
        ? [0, tail[2] as number, tail[0] as number, tail[1] as number]
        : [0, ...(tail as number[])];
    const multiplier = ops.reshape(flatMultiplier, onnxShape);
    const output = ops.mul(input.name, multiplier);
    context.debugOutput('dropout-mask', toTfjsOrder(ops, multiplier, input.shape.length), [
      'batch',
      ...(tail as number[]),
    ]);
    return {
      outputs: [{ name: output, shape: context.outputShapes[0]! }],
      backward: ([gradient]) => [
        gradient === undefined || !context.inputsNeedGradient[0] ? undefined : ops.mul(gradient, multiplier),
      ],
    };
  },
};
