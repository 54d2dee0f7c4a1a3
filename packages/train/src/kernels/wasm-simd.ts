import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Loops that JavaScript runs several times slower than WebAssembly SIMD (elementwise updates, a
 * column sum, a thin matrix product), as a small wasm module of our own, assembled below, that
 * works directly on the tfjs wasm backend's memory (imported, so no copies). Pointers are byte
 * offsets into that memory; each loop says which sizes it takes, and callers handle the rest in
 * JavaScript. The kernels using them are tested against the cpu backend.
 */
export interface SimdLoops {
  /**
   * One Adam step over `bytes` bytes: reads weights, gradients and both moments, writes the new
   * ones. Each lane rounds as tfjs's elementwise kernels do, so results are the same bits.
   */
  adam(
    weights: number,
    gradients: number,
    firstMoment: number,
    secondMoment: number,
    outWeights: number,
    outFirstMoment: number,
    outSecondMoment: number,
    bytes: number,
    keep1: number,
    take1: number,
    keep2: number,
    take2: number,
    correction1: number,
    correction2: number,
    epsilon: number,
    negativeRate: number,
  ): void;
  /**
   * The gradient of one output row of a 2×2, stride-2 max pool: `top` is the input row pair's
   * first byte, `gradient` the output row's; dx is written at `top + toOutput` (same layout as
   * the input). `channelBytes` (a multiple of 16) and `rowBytes` are the input's strides.
   */
  maxPoolGradRow(
    top: number,
    gradient: number,
    toOutput: number,
    outWidth: number,
    channelBytes: number,
    rowBytes: number,
  ): void;
  /**
   * Adds every row of a row-major float32 matrix (from `values` up to `end`, rows of
   * `columnBytes`, a multiple of 8) into float64 `totals`, two columns at a time, in row order.
   */
  sumRows(values: number, end: number, columnBytes: number, totals: number): void;
  /**
   * `out[c] += Σ_p column[p] · rows[p][c]` for `count` float32 values in `column` and rows of
   * `rowBytes` (a multiple of 64), sixteen columns of the rows at a time in float32.
   */
  addColumnTimesRows(column: number, rows: number, count: number, rowBytes: number, out: number): void;
  /**
   * ReLU's gradient over `bytes` bytes (a multiple of 16): `out = x > 0 ? dy : 0`.
   */
  reluGrad(gradients: number, inputs: number, out: number, bytes: number): void;
  /**
   * One output row of a 2×2, stride-2 max pool: `top` is the input row pair's first byte, the
   * row is written at `out`. `channelBytes` (a multiple of 16) and `rowBytes` are the input's strides.
   */
  maxPoolRow(top: number, out: number, outWidth: number, channelBytes: number, rowBytes: number): void;
  /** ReLU over `bytes` bytes (a multiple of 16): `out = max(x, 0)`, NaN staying NaN. */
  relu(inputs: number, out: number, bytes: number): void;
  /**
   * Adds `bias` (`rowBytes` of float32, a multiple of 16) to every row of `values` up to `end`,
   * writing the sums to `out` (a bias add over the channels of an NHWC tensor).
   */
  addToRows(values: number, end: number, bias: number, rowBytes: number, out: number): void;
  /** Like {@link SimdLoops.addToRows}, multiplying: `out = values · factors` row by row. */
  multiplyRows(values: number, end: number, factors: number, rowBytes: number, out: number): void;
  /**
   * Batch norm's forward pass over the rows of `values` up to `end` (`rowBytes` of float32 channels, a
   * multiple of 16): `out = (values - mean) · factor + offset`, each a row of `rowBytes`.
   */
  normalizeRows(
    values: number,
    end: number,
    mean: number,
    factor: number,
    offset: number,
    rowBytes: number,
    out: number,
  ): void;
  /**
   * The per-channel sums batch norm's gradient needs, over the rows of `gradients` up to `end` and the
   * same rows of `inputs` (`rowBytes` of float32 channels, a multiple of 16): adds Σ dy into float64
   * `totals[c]` and Σ dy · (x - mean) into `totals[channels + c]`, in row order.
   */
  batchNormGradSums(
    gradients: number,
    inputs: number,
    end: number,
    mean: number,
    rowBytes: number,
    totals: number,
  ): void;
  /**
   * Transposes four float32 rows, `sourceStride` bytes apart, from `source` up to `sourceEnd`
   * (a multiple of 16 bytes on): column c of the four becomes four values at `target +
   * c · targetStride`. Four columns at a time, with lane shuffles.
   */
  transposeFourRows(
    source: number,
    sourceStride: number,
    target: number,
    targetStride: number,
    sourceEnd: number,
  ): void;
}

const loopsByMemory = new WeakMap<WebAssembly.Memory, SimdLoops | null>();

/**
 * The SIMD loops bound to `backend`'s memory, or null when that memory cannot be reached (a
 * tfjs build that neither exports nor exposes it) or this engine lacks WebAssembly SIMD:
 * callers then use their JavaScript loops.
 *
 * @example
 * const loops = simdLoops(backend);
 * loops?.maxPoolGradRow(xOffset, dyOffset, dxOffset - xOffset, 14, 32 * 4, 28 * 32 * 4);
 */
export function simdLoops(backend: BackendWasm): SimdLoops | null {
  const module = backend.wasm as unknown as { wasmMemory?: WebAssembly.Memory; asm?: { memory?: unknown } };
  // The threaded build creates its (shared) memory in JavaScript; the single-threaded one exports it.
  const memory =
    module.wasmMemory ?? (module.asm?.memory instanceof WebAssembly.Memory ? module.asm.memory : undefined);
  if (memory === undefined) return null;
  let loops = loopsByMemory.get(memory);
  if (loops === undefined) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const bytes = moduleBytes(shared);
    loops = WebAssembly.validate(bytes)
      ? (new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
          .exports as unknown as SimdLoops)
      : null;
    loopsByMemory.set(memory, loops);
  }
  return loops;
}

// WebAssembly opcodes used below (core spec and SIMD proposal, now standard).
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const BLOCK = 0x02;
const LOOP = 0x03;
const VOID = 0x40;
const BR = 0x0c;
const BR_IF = 0x0d;
const END = 0x0b;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_GE_U = 0x4f;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const F32_LOAD = 0x2a;
const SIMD = 0xfd;
const simd = {
  load: 0x00,
  shuffle: 0x0d,
  store: 0x0b,
  f32x4Splat: 0x13,
  f32x4Gt: 0x44,
  and: 0x4e,
  andNot: 0x4f,
  or: 0x50,
  bitselect: 0x52,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Max: 0xe9,
  f32x4Div: 0xe7,
  i32x4Splat: 0x11,
  load64Zero: 0x5d,
  f64x2PromoteLow: 0x5f,
  f64x2Add: 0xf0,
} as const;

/** Unsigned LEB128, as wasm encodes sizes, indices and opcodes after a prefix. */
function leb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    bytes.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return bytes;
}

/** Signed LEB128, as `i32.const` encodes its value (64 needs two bytes: 0x40 alone is -64). */
function sleb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

const i32 = (value: number) => [I32_CONST, ...sleb(value)];
const get = (local: number) => [LOCAL_GET, ...leb(local)];
const set = (local: number) => [LOCAL_SET, ...leb(local)];
const v = (op: number) => [SIMD, ...leb(op)];
/** A v128 load or store with no alignment promise, `offset` bytes past the address. */
const memory = (op: number, offset = 0) => [...v(op), 0, ...leb(offset)];
const name = (text: string) => [...leb(text.length), ...[...text].map((char) => char.charCodeAt(0))];
const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];
const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];
/** A function body's local declarations: runs of `count` locals of one value type. */
const locals = (...runs: [count: number, type: number][]) =>
  vector(runs.map(([count, type]) => [...leb(count), type]));

/** Adds locals `a` and `b` (i32 byte offsets). */
const address = (a: number, b: number) => [...get(a), ...get(b), I32_ADD];

function adamBody(): number[] {
  // Params 0-6 pointers, 7 bytes, 8-15 the f32 scalars; locals 16 offset, 17-24 the scalars as
  // four lanes, 25 gradient, 26 first moment, 27 second moment.
  const [OFFSET, SPLATS, G, M, V] = [16, 17, 25, 26, 27];
  const [W, GRAD, FIRST, SECOND, OUT_W, OUT_FIRST, OUT_SECOND, BYTES] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [KEEP1, TAKE1, KEEP2, TAKE2, CORRECTION1, CORRECTION2, EPSILON, RATE] = [0, 1, 2, 3, 4, 5, 6, 7].map(
    (index) => SPLATS + index,
  ) as [number, number, number, number, number, number, number, number];
  const code: number[] = [];
  for (let index = 0; index < 8; index++)
    code.push(...get(8 + index), ...v(simd.f32x4Splat), ...set(SPLATS + index));
  // biome-ignore format: one line per step of the computation
  code.push(
    BLOCK, VOID, LOOP, VOID,
    ...get(OFFSET), ...get(BYTES), I32_GE_U, BR_IF, 1,
    // g
    ...address(GRAD, OFFSET), ...memory(simd.load), ...set(G),
    // m = first·β₁ + g·(1-β₁)
    ...address(FIRST, OFFSET), ...memory(simd.load), ...get(KEEP1), ...v(simd.f32x4Mul),
    ...get(G), ...get(TAKE1), ...v(simd.f32x4Mul), ...v(simd.f32x4Add), ...set(M),
    // v = second·β₂ + g²·(1-β₂)
    ...address(SECOND, OFFSET), ...memory(simd.load), ...get(KEEP2), ...v(simd.f32x4Mul),
    ...get(G), ...get(G), ...v(simd.f32x4Mul), ...get(TAKE2), ...v(simd.f32x4Mul), ...v(simd.f32x4Add), ...set(V),
    ...address(OUT_FIRST, OFFSET), ...get(M), ...memory(simd.store),
    ...address(OUT_SECOND, OFFSET), ...get(V), ...memory(simd.store),
    // w' = (m/c₁) / (√(v/c₂) + ε) · -rate + w
    ...address(OUT_W, OFFSET),
    ...get(M), ...get(CORRECTION1), ...v(simd.f32x4Div),
    ...get(V), ...get(CORRECTION2), ...v(simd.f32x4Div), ...v(simd.f32x4Sqrt), ...get(EPSILON), ...v(simd.f32x4Add),
    ...v(simd.f32x4Div), ...get(RATE), ...v(simd.f32x4Mul),
    ...address(W, OFFSET), ...memory(simd.load), ...v(simd.f32x4Add),
    ...memory(simd.store),
    ...get(OFFSET), ...i32(16), I32_ADD, ...set(OFFSET),
    BR, 0, END, END, END,
  );
  return [...locals([1, I32], [8 + 3, V128]), ...code];
}

/** The float32x4 at `base` plus the byte offsets held in locals `offsets`: one corner of a 2×2 window. */
const loadAt = (base: number, ...offsets: number[]) => [
  ...get(base),
  ...offsets.flatMap((offset) => [...get(offset), I32_ADD]),
  ...memory(simd.load),
];

/**
 * The walk the 2×2, stride-2 pooling bodies share, over one output row: for each window (local `top`
 * at its top-left pixel), `perBlock` runs once per sixteen bytes of channels, with `top` at them;
 * `perBlock` moves any other pointers. Params `outWidth`, `channelBytes`; locals `endAt`, `windowEnd`.
 */
function poolWindowsWalk(
  [top, outWidth, channelBytes, endAt, windowEnd]: [number, number, number, number, number],
  perBlock: number[],
): number[] {
  // biome-ignore format: one line per step of the computation
  return [
    // end = top + outWidth · channelBytes · 2
    ...get(top), ...get(outWidth), ...get(channelBytes), I32_MUL, ...i32(2), I32_MUL, I32_ADD, ...set(endAt),
    BLOCK, VOID, LOOP, VOID,
    ...get(top), ...get(endAt), I32_GE_U, BR_IF, 1,
    ...get(top), ...get(channelBytes), I32_ADD, ...set(windowEnd),
    LOOP, VOID,
    ...perBlock,
    ...get(top), ...i32(16), I32_ADD, LOCAL_TEE, ...leb(top),
    ...get(windowEnd), I32_LT_U, BR_IF, 0,
    END,
    // Past the window's left column: skip its right one.
    ...get(top), ...get(channelBytes), I32_ADD, ...set(top),
    BR, 0, END, END, END,
  ];
}

function maxPoolGradRowBody(): number[] {
  // Params 0 top, 1 gradient, 2 toOutput, 3 outWidth, 4 channelBytes, 5 rowBytes; locals 6 end,
  // 7 window end (i32), 8 best so far, 9-11 "right beats the best", "bottom-left beats it",
  // "bottom-right beats it" masks, 12 gradient (v128).
  const [TOP, GRADIENT, TO_OUTPUT, OUT_WIDTH, CHANNEL_BYTES, ROW_BYTES] = [0, 1, 2, 3, 4, 5];
  const [END_AT, WINDOW_END, BEST, RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT, G] = [6, 7, 8, 9, 10, 11, 12];
  const load = (...offsets: number[]) => loadAt(TOP, ...offsets);
  const outputAt = (...offsets: number[]) => [
    ...get(TOP),
    ...offsets.flatMap((offset) => [...get(offset), I32_ADD]),
    ...get(TO_OUTPUT),
    I32_ADD,
  ];
  // biome-ignore format: one line per step of the computation
  const perBlock = [
    ...get(GRADIENT), ...memory(simd.load), ...set(G),
    // best = right > topLeft ? right : topLeft, and so on in row-major order (ties keep the first).
    ...load(CHANNEL_BYTES), ...load(), ...v(simd.f32x4Gt), ...set(RIGHT),
    ...load(CHANNEL_BYTES), ...load(), ...get(RIGHT), ...v(simd.bitselect), ...set(BEST),
    ...load(ROW_BYTES), ...get(BEST), ...v(simd.f32x4Gt), ...set(BOTTOM_LEFT),
    ...load(ROW_BYTES), ...get(BEST), ...get(BOTTOM_LEFT), ...v(simd.bitselect), ...set(BEST),
    ...load(ROW_BYTES, CHANNEL_BYTES), ...get(BEST), ...v(simd.f32x4Gt), ...set(BOTTOM_RIGHT),
    // Each position gets the gradient where it is the last to beat the best, else zero.
    ...outputAt(),
    ...get(G), ...get(RIGHT), ...get(BOTTOM_LEFT), ...v(simd.or), ...get(BOTTOM_RIGHT), ...v(simd.or),
    ...v(simd.andNot), ...memory(simd.store),
    ...outputAt(CHANNEL_BYTES),
    ...get(G), ...get(RIGHT), ...v(simd.and), ...get(BOTTOM_LEFT), ...v(simd.andNot), ...get(BOTTOM_RIGHT),
    ...v(simd.andNot), ...memory(simd.store),
    ...outputAt(ROW_BYTES),
    ...get(G), ...get(BOTTOM_LEFT), ...v(simd.and), ...get(BOTTOM_RIGHT), ...v(simd.andNot), ...memory(simd.store),
    ...outputAt(ROW_BYTES, CHANNEL_BYTES),
    ...get(G), ...get(BOTTOM_RIGHT), ...v(simd.and), ...memory(simd.store),
    ...get(GRADIENT), ...i32(16), I32_ADD, ...set(GRADIENT),
  ];
  const code = poolWindowsWalk([TOP, OUT_WIDTH, CHANNEL_BYTES, END_AT, WINDOW_END], perBlock);
  return [...locals([2, I32], [5, V128]), ...code];
}

/**
 * The walk the row loops share: while local `first` is below `end`, local `column` steps by `step` bytes
 * through a row of `rowBytes` running `perColumn`, then each of `pointers` moves on by a row.
 */
function rowsWalk(
  [first, end, rowBytes, column]: readonly [number, number, number, number],
  step: number,
  pointers: readonly number[],
  perColumn: readonly number[],
): number[] {
  // biome-ignore format: one line per step of the computation
  return [
    BLOCK, VOID, LOOP, VOID,
    ...get(first), ...get(end), I32_GE_U, BR_IF, 1,
    ...i32(0), ...set(column),
    LOOP, VOID,
    ...perColumn,
    ...get(column), ...i32(step), I32_ADD, LOCAL_TEE, ...leb(column),
    ...get(rowBytes), I32_LT_U, BR_IF, 0,
    END,
    ...pointers.flatMap((pointer) => [...get(pointer), ...get(rowBytes), I32_ADD, ...set(pointer)]),
    BR, 0, END, END, END,
  ];
}

function sumRowsBody(): number[] {
  // Params 0 values, 1 end, 2 columnBytes, 3 totals; locals 4 column (byte offset in a float32 row).
  const [VALUES, END_AT, COLUMN_BYTES, TOTALS, COLUMN] = [0, 1, 2, 3, 4];
  // biome-ignore format: one line per step of the computation
  const perColumn = [
    // totals[column / 4 · 8] += two float32 values widened to float64
    ...get(TOTALS), ...get(COLUMN), ...get(COLUMN), I32_ADD, I32_ADD,
    ...get(TOTALS), ...get(COLUMN), ...get(COLUMN), I32_ADD, I32_ADD, ...memory(simd.load),
    ...address(VALUES, COLUMN), ...memory(simd.load64Zero), ...v(simd.f64x2PromoteLow),
    ...v(simd.f64x2Add), ...memory(simd.store),
  ];
  const code = rowsWalk([VALUES, END_AT, COLUMN_BYTES, COLUMN], 8, [VALUES], perColumn);
  return [...locals([1, I32]), ...code];
}

function addColumnTimesRowsBody(): number[] {
  // Params 0 column, 1 rows, 2 count, 3 rowBytes, 4 out; locals 5 block (byte offset of sixteen
  // columns in a row), 6 column end, 7 column pointer, 8 row pointer (i32), 9 the column's value
  // in four lanes, 10-13 the block's four accumulators (v128).
  const [COLUMN, ROWS, COUNT, ROW_BYTES, OUT] = [0, 1, 2, 3, 4];
  const [BLOCK_AT, COLUMN_END, COLUMN_AT, ROW_AT, VALUE] = [5, 6, 7, 8, 9];
  const ACCUMULATORS = [10, 11, 12, 13];
  const zero = [...i32(0), ...v(simd.i32x4Splat)];
  // biome-ignore format: one line per step of the computation
  const code = [
    ...get(COLUMN), ...get(COUNT), ...i32(4), I32_MUL, I32_ADD, ...set(COLUMN_END),
    BLOCK, VOID, LOOP, VOID,
    ...get(BLOCK_AT), ...get(ROW_BYTES), I32_GE_U, BR_IF, 1,
    ...ACCUMULATORS.flatMap((accumulator) => [...zero, ...set(accumulator)]),
    ...get(COLUMN), ...set(COLUMN_AT),
    ...address(ROWS, BLOCK_AT), ...set(ROW_AT),
    BLOCK, VOID, LOOP, VOID,
    ...get(COLUMN_AT), ...get(COLUMN_END), I32_GE_U, BR_IF, 1,
    ...get(COLUMN_AT), F32_LOAD, 2, 0, ...v(simd.f32x4Splat), ...set(VALUE),
    // accumulator k += value · row[block + 16k .. + 16]
    ...ACCUMULATORS.flatMap((accumulator, k) => [
      ...get(accumulator), ...get(VALUE), ...get(ROW_AT), ...memory(simd.load, 16 * k), ...v(simd.f32x4Mul),
      ...v(simd.f32x4Add), ...set(accumulator),
    ]),
    ...get(COLUMN_AT), ...i32(4), I32_ADD, ...set(COLUMN_AT),
    ...get(ROW_AT), ...get(ROW_BYTES), I32_ADD, ...set(ROW_AT),
    BR, 0, END, END,
    // out[block .. + 64] += the accumulators
    ...ACCUMULATORS.flatMap((accumulator, k) => [
      ...address(OUT, BLOCK_AT), ...address(OUT, BLOCK_AT), ...memory(simd.load, 16 * k),
      ...get(accumulator), ...v(simd.f32x4Add), ...memory(simd.store, 16 * k),
    ]),
    ...get(BLOCK_AT), ...i32(64), I32_ADD, ...set(BLOCK_AT),
    BR, 0, END, END, END,
  ];
  return [...locals([4, I32], [5, V128]), ...code];
}

function reluGradBody(): number[] {
  // Params 0 gradients, 1 inputs, 2 out, 3 bytes; local 4 offset.
  const [GRADIENTS, INPUTS, OUT, BYTES, OFFSET] = [0, 1, 2, 3, 4];
  // biome-ignore format: one line per step of the computation
  const code = [
    BLOCK, VOID, LOOP, VOID,
    ...get(OFFSET), ...get(BYTES), I32_GE_U, BR_IF, 1,
    // out = gradient & (input > 0)
    ...address(OUT, OFFSET),
    ...address(GRADIENTS, OFFSET), ...memory(simd.load),
    ...address(INPUTS, OFFSET), ...memory(simd.load), ...i32(0), ...v(simd.i32x4Splat), ...v(simd.f32x4Gt),
    ...v(simd.and), ...memory(simd.store),
    ...get(OFFSET), ...i32(16), I32_ADD, ...set(OFFSET),
    BR, 0, END, END, END,
  ];
  return [...locals([1, I32]), ...code];
}

function transposeFourRowsBody(): number[] {
  // Params 0 source, 1 sourceStride, 2 target, 3 targetStride, 4 sourceEnd; locals 5-8 the four
  // rows, 9-12 their pairs interleaved (v128).
  const [SOURCE, SOURCE_STRIDE, TARGET, TARGET_STRIDE, SOURCE_END] = [0, 1, 2, 3, 4];
  const ROWS = [5, 6, 7, 8] as const;
  const PAIRS = [9, 10, 11, 12] as const;
  /** i8x16.shuffle picking four 32-bit lanes (0-3 from the first operand, 4-7 from the second). */
  const lanes = (...picks: number[]) => [
    ...v(simd.shuffle),
    ...picks.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]),
  ];
  /** `base + stride · times` (times 0 to 3). */
  const offset = (base: number, stride: number, times: number) =>
    times === 0 ? get(base) : [...get(base), ...get(stride), ...i32(times), I32_MUL, I32_ADD];
  // biome-ignore format: one line per step of the computation
  const code = [
    BLOCK, VOID, LOOP, VOID,
    ...get(SOURCE), ...get(SOURCE_END), I32_GE_U, BR_IF, 1,
    ...ROWS.flatMap((row, r) => [...offset(SOURCE, SOURCE_STRIDE, r), ...memory(simd.load), ...set(row)]),
    // [r0₀ r1₀ r0₁ r1₁], [r0₂ r1₂ r0₃ r1₃], and the same for rows 2 and 3
    ...get(ROWS[0]), ...get(ROWS[1]), ...lanes(0, 4, 1, 5), ...set(PAIRS[0]),
    ...get(ROWS[0]), ...get(ROWS[1]), ...lanes(2, 6, 3, 7), ...set(PAIRS[1]),
    ...get(ROWS[2]), ...get(ROWS[3]), ...lanes(0, 4, 1, 5), ...set(PAIRS[2]),
    ...get(ROWS[2]), ...get(ROWS[3]), ...lanes(2, 6, 3, 7), ...set(PAIRS[3]),
    // column k: [r0ₖ r1ₖ r2ₖ r3ₖ]
    ...offset(TARGET, TARGET_STRIDE, 0), ...get(PAIRS[0]), ...get(PAIRS[2]), ...lanes(0, 1, 4, 5), ...memory(simd.store),
    ...offset(TARGET, TARGET_STRIDE, 1), ...get(PAIRS[0]), ...get(PAIRS[2]), ...lanes(2, 3, 6, 7), ...memory(simd.store),
    ...offset(TARGET, TARGET_STRIDE, 2), ...get(PAIRS[1]), ...get(PAIRS[3]), ...lanes(0, 1, 4, 5), ...memory(simd.store),
    ...offset(TARGET, TARGET_STRIDE, 3), ...get(PAIRS[1]), ...get(PAIRS[3]), ...lanes(2, 3, 6, 7), ...memory(simd.store),
    ...get(SOURCE), ...i32(16), I32_ADD, ...set(SOURCE),
    ...offset(TARGET, TARGET_STRIDE, 4), ...set(TARGET),
    BR, 0, END, END, END,
  ];
  return [...locals([8, V128]), ...code];
}

/** `out = values ∘ row` for every row of `values`, `operation` a float32x4 opcode (add, multiply). */
function combineRowsBody(operation: number): number[] {
  // Params 0 values, 1 end, 2 row, 3 rowBytes, 4 out; local 5 column (byte offset in a row).
  const [VALUES, END_AT, ROW, ROW_BYTES, OUT, COLUMN] = [0, 1, 2, 3, 4, 5];
  // biome-ignore format: one line per step of the computation
  const perColumn = [
    ...address(OUT, COLUMN),
    ...address(VALUES, COLUMN), ...memory(simd.load), ...address(ROW, COLUMN), ...memory(simd.load),
    ...v(operation), ...memory(simd.store),
  ];
  const code = rowsWalk([VALUES, END_AT, ROW_BYTES, COLUMN], 16, [VALUES, OUT], perColumn);
  return [...locals([1, I32]), ...code];
}

function normalizeRowsBody(): number[] {
  // Params 0 values, 1 end, 2 mean, 3 factor, 4 offset, 5 rowBytes, 6 out; local 7 column.
  const [VALUES, END_AT, MEAN, FACTOR, OFFSET, ROW_BYTES, OUT, COLUMN] = [0, 1, 2, 3, 4, 5, 6, 7];
  // biome-ignore format: one line per step of the computation
  const perColumn = [
    // out = (x - mean) · factor + offset
    ...address(OUT, COLUMN),
    ...address(VALUES, COLUMN), ...memory(simd.load), ...address(MEAN, COLUMN), ...memory(simd.load),
    ...v(simd.f32x4Sub),
    ...address(FACTOR, COLUMN), ...memory(simd.load), ...v(simd.f32x4Mul),
    ...address(OFFSET, COLUMN), ...memory(simd.load), ...v(simd.f32x4Add),
    ...memory(simd.store),
  ];
  const code = rowsWalk([VALUES, END_AT, ROW_BYTES, COLUMN], 16, [VALUES, OUT], perColumn);
  return [...locals([1, I32]), ...code];
}

function batchNormGradSumsBody(): number[] {
  // Params 0 gradients, 1 inputs, 2 end, 3 mean, 4 rowBytes, 5 totals; locals 6 column, 7 totals
  // pointer (i32), 8 dy, 9 dy · (x - mean) (v128).
  const [GRADIENTS, INPUTS, END_AT, MEAN, ROW_BYTES, TOTALS] = [0, 1, 2, 3, 4, 5];
  const [COLUMN, TOTALS_AT, DY, PRODUCT] = [6, 7, 8, 9];
  /** Adds the four float32 lanes of local `lanes`, widened to float64, to the four totals at `TOTALS_AT`. */
  // biome-ignore format: one line per step of the computation
  const accumulate = (lanes: number) => [
    ...get(TOTALS_AT), ...get(TOTALS_AT), ...memory(simd.load),
    ...get(lanes), ...v(simd.f64x2PromoteLow), ...v(simd.f64x2Add), ...memory(simd.store),
    // lanes 2 and 3 moved down to 0 and 1, then widened
    ...get(TOTALS_AT), ...get(TOTALS_AT), ...memory(simd.load, 16),
    ...get(lanes), ...get(lanes), ...v(simd.shuffle), ...[8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15],
    ...v(simd.f64x2PromoteLow), ...v(simd.f64x2Add), ...memory(simd.store, 16),
  ];
  // biome-ignore format: one line per step of the computation
  const perColumn = [
    ...address(GRADIENTS, COLUMN), ...memory(simd.load), ...set(DY),
    ...address(INPUTS, COLUMN), ...memory(simd.load), ...address(MEAN, COLUMN), ...memory(simd.load),
    ...v(simd.f32x4Sub), ...get(DY), ...v(simd.f32x4Mul), ...set(PRODUCT),
    // Σ dy at totals + 2·column, Σ dy · (x - mean) a float64 row (2·rowBytes) further on
    ...get(TOTALS), ...get(COLUMN), ...get(COLUMN), I32_ADD, I32_ADD, ...set(TOTALS_AT),
    ...accumulate(DY),
    ...get(TOTALS_AT), ...get(ROW_BYTES), ...get(ROW_BYTES), I32_ADD, I32_ADD, ...set(TOTALS_AT),
    ...accumulate(PRODUCT),
  ];
  const code = rowsWalk([GRADIENTS, END_AT, ROW_BYTES, COLUMN], 16, [GRADIENTS, INPUTS], perColumn);
  return [...locals([2, I32], [2, V128]), ...code];
}

function maxPoolRowBody(): number[] {
  // Params 0 top, 1 out, 2 outWidth, 3 channelBytes, 4 rowBytes; locals 5 end, 6 window end.
  const [TOP, OUT, OUT_WIDTH, CHANNEL_BYTES, ROW_BYTES, END_AT, WINDOW_END] = [0, 1, 2, 3, 4, 5, 6];
  const load = (...offsets: number[]) => loadAt(TOP, ...offsets);
  // biome-ignore format: one line per step of the computation
  const perBlock = [
    // out = max(max(top left, top right), max(bottom left, bottom right))
    ...get(OUT),
    ...load(), ...load(CHANNEL_BYTES), ...v(simd.f32x4Max),
    ...load(ROW_BYTES), ...load(ROW_BYTES, CHANNEL_BYTES), ...v(simd.f32x4Max),
    ...v(simd.f32x4Max), ...memory(simd.store),
    ...get(OUT), ...i32(16), I32_ADD, ...set(OUT),
  ];
  const code = poolWindowsWalk([TOP, OUT_WIDTH, CHANNEL_BYTES, END_AT, WINDOW_END], perBlock);
  return [...locals([2, I32]), ...code];
}

function reluBody(): number[] {
  // Params 0 inputs, 1 out, 2 bytes; local 3 offset.
  const [INPUTS, OUT, BYTES, OFFSET] = [0, 1, 2, 3];
  // biome-ignore format: one line per step of the computation
  const code = [
    BLOCK, VOID, LOOP, VOID,
    ...get(OFFSET), ...get(BYTES), I32_GE_U, BR_IF, 1,
    ...address(OUT, OFFSET),
    ...address(INPUTS, OFFSET), ...memory(simd.load), ...i32(0), ...v(simd.i32x4Splat), ...v(simd.f32x4Max),
    ...memory(simd.store),
    ...get(OFFSET), ...i32(16), I32_ADD, ...set(OFFSET),
    BR, 0, END, END, END,
  ];
  return [...locals([1, I32]), ...code];
}

/** The module: imports `env.memory` (shared for tfjs's threaded build), exports the loops. */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const adamType = [0x60, ...vector([...Array(8).fill([I32]), ...Array(8).fill([F32])]), 0];
  const rowType = [0x60, ...vector(Array(6).fill([I32])), 0];
  const sumType = [0x60, ...vector(Array(4).fill([I32])), 0];
  const productType = [0x60, ...vector(Array(5).fill([I32])), 0];
  const transposeType = productType;
  const unaryType = [0x60, ...vector(Array(3).fill([I32])), 0];
  const normalizeType = [0x60, ...vector(Array(7).fill([I32])), 0];
  // Limits: shared memories must declare a maximum; 65,536 pages (4 GiB) admits any.
  const limits = shared ? [0x03, 0, ...leb(65_536)] : [0x00, 0];
  const bodies = [
    adamBody(),
    maxPoolGradRowBody(),
    sumRowsBody(),
    addColumnTimesRowsBody(),
    reluGradBody(),
    transposeFourRowsBody(),
    combineRowsBody(simd.f32x4Add),
    reluBody(),
    maxPoolRowBody(),
    combineRowsBody(simd.f32x4Mul),
    normalizeRowsBody(),
    batchNormGradSumsBody(),
  ];
  // biome-ignore format: one line per section
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([adamType, rowType, sumType, productType, transposeType, unaryType, normalizeType])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vector([[0], [1], [2], [3], [2], [4], [3], [5], [3], [3], [6], [1]])),
    ...section(7, vector([
      [...name('adam'), 0x00, 0],
      [...name('maxPoolGradRow'), 0x00, 1],
      [...name('sumRows'), 0x00, 2],
      [...name('addColumnTimesRows'), 0x00, 3],
      [...name('reluGrad'), 0x00, 4],
      [...name('transposeFourRows'), 0x00, 5],
      [...name('addToRows'), 0x00, 6],
      [...name('relu'), 0x00, 7],
      [...name('maxPoolRow'), 0x00, 8],
      [...name('multiplyRows'), 0x00, 9],
      [...name('normalizeRows'), 0x00, 10],
      [...name('batchNormGradSums'), 0x00, 11],
    ])),
    ...section(10, vector(bodies.map((body) => [...leb(body.length), ...body]))),
  ];
  return new Uint8Array(bytes);
}
