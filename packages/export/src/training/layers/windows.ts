import type { GraphBuilder, GraphNode } from '../../graph/graph-builder.js';
import { blockedConvOf, blockedConvOfImages, imagesKernelInBlocks, reorderOutput } from '../nchwc.js';
import { type Ops, perGraph } from '../ops.js';

/**
 * Per graph: layer outputs computed position by position from windows whose source needs no gradient (a
 * conv on the images), with those windows: reordering the windows' columns reorders the output's columns
 * the same way, and the conv's kernel and bias gradients (sums over positions) do not change.
 */
const positionwise = perGraph<PositionwiseSource>();

/** The windows a position-by-position output is computed from, and how they were taken. */
interface PositionwiseSource {
  windows: string;
  /** The windowed value's channels. */
  channels: number;
  geometry: WindowGeometry;
  /** The conv the output is, when a Conv2D wrote it: what {@link blockedConvCells} writes again by cell. */
  conv?: PositionwiseConv;
}

/** A conv computed from windows: its input (the windowed value), parameters and activation. */
export interface PositionwiseConv {
  /** The prefix of the conv's node names. */
  scope: string;
  input: string;
  /** The HWIO kernel, `[kh, kw, channels, filters]`. */
  kernel: string;
  bias?: string;
  filters: number;
  /** tfjs's activation name. */
  activation: string;
}

/**
 * Records that `output` is computed position by position from `windows` (`[batch, channels, h, w]`), and
 * that nothing before the windows needs a gradient, so {@link reorderWindowColumns} may reorder them.
 *
 * @example
 * markPositionwise(ops.graph, activation.output, patches); // conv1: its images need no gradient
 */
export function markPositionwise(
  graph: GraphBuilder,
  output: string,
  windows: string,
  channels: number,
  geometry: WindowGeometry,
  conv?: PositionwiseConv,
): void {
  positionwise(graph).set(output, { windows, channels, geometry, ...(conv ? { conv } : {}) });
}

/** The marked windows behind `output` when they may be rewritten: one reader, no graph output, or undefined. */
function rewritable(graph: GraphBuilder, output: string): PositionwiseSource | undefined {
  const source = positionwise(graph).get(output);
  if (source === undefined) return undefined;
  if (graph.consumers(output).length !== 1) return undefined;
  if (graph.outputs.some((value) => value.name === output || value.name === source.windows)) return undefined;
  return source;
}

/**
 * Reorders the columns of every row of the windows that `output` is computed from by the constant `matrix`
 * (`width × width`, a 0/1 permutation), by a MatMul right after the node that writes them; every reader of
 * the windows (the conv's forward now, its kernel gradient later) then sees the reordered columns, and so
 * does every reader of `output`. Done only when `output` was marked by {@link markPositionwise}, has one
 * reader (the caller's, which then reads reordered columns) and is no graph output; returns whether it
 * was done.
 *
 * @example
 * if (reorderWindowColumns(ops.graph, input.name, gather)) // the pool's input is listed already
 */
export function reorderWindowColumns(graph: GraphBuilder, output: string, matrix: string): boolean {
  const windows = rewritable(graph, output)?.windows;
  if (windows === undefined) return false;
  const writer = graph.producer(windows);
  if (writer === undefined) return false;
  const natural = graph.uniqueName(`${windows}/natural`);
  writer.outputs[writer.outputs.indexOf(windows)] = natural;
  graph.insertAfter(writer, {
    opType: 'MatMul',
    name: graph.uniqueName(`${writer.name}/reordered`),
    inputs: [natural, matrix],
    outputs: [windows],
    attributes: {},
  });
  positionwise(graph).delete(output);
  return true;
}

/**
 * Takes the windows that `output` is computed from cell by cell of a pool that tiles it with `pool`-sized
 * windows: one one-hot Conv with a `(pool + kernel − 1)`-sized kernel at the pool's stride takes, for each
 * pool window, the conv windows of its `ph·pw` cells (channel `tap·ph·pw + cell`), so the windows are
 * `[batch, taps, ph·pw·outHeight, outWidth]`: each tap lists cell `dy·pw + dx` of every pool window, then
 * the next cell. The conv (and `output`) is then `[batch, filters, ph·pw·outHeight, outWidth]`, each cell a
 * contiguous block of every channel, with no reordering GEMM; the conv's kernel and bias gradients (sums over
 * positions) do not change. Done for windows of a single channel taken by one Conv at stride 1 (the
 * images), under the conditions of {@link reorderWindowColumns}; returns whether it was done.
 *
 * @example
 * if (listWindowsByCell(ops, input.name, [2, 2])) // the pool's input is [batch, 32, 4·14, 14]
 */
export function listWindowsByCell(ops: Ops, output: string, pool: [number, number]): boolean {
  const { graph } = ops;
  const source = rewritable(graph, output);
  if (source === undefined || source.channels !== 1) return false;
  const { windows, geometry } = source;
  if (geometry.strides.some((stride) => stride !== 1) || (geometry.dilations ?? [1, 1]).some((d) => d !== 1))
    return false;
  const writer = graph.producer(windows);
  if (writer === undefined || writer.opType !== 'Conv') return false;
  const taps = geometry.kernel[0] * geometry.kernel[1];
  const { weights, size } = cellWindowKernel(ops, geometry.kernel, pool);
  writer.inputs[1] = weights;
  writer.attributes = { kernel_shape: size, pads: geometry.pads, strides: pool, dilations: [1, 1], group: 1 };
  const byCell = graph.uniqueName(`${windows}/by_cell`);
  writer.outputs[writer.outputs.indexOf(windows)] = byCell;
  graph.insertAfter(writer, {
    opType: 'Reshape',
    name: graph.uniqueName(`${writer.name}/cells_in_batch`),
    inputs: [byCell, ops.int64s([0, taps, -1, 0])],
    outputs: [windows],
    attributes: {},
  });
  positionwise(graph).delete(output);
  return true;
}

/** Per graph: convs written once per pool cell ({@link splitConvByCell}), by the output they replaced: each cell's windows. */
const cellConvs = perGraph<string[]>();
/**
 * Per graph: gradients a pool handed back by cell (a join of the cells' shares), by name: what reaches each
 * cell (cell `c`'s share is piece `c` less piece `c + 1`, the last cell's the last piece).
 */
const cellGradients = perGraph<CellGradient>();

/** What reaches each cell of a pool's input gradient, and how the pieces are laid out. */
export interface CellGradient {
  reaching: string[];
  /**
   * null: each piece is NCHW, `[batch, channels, cell's positions]` viewed as rows; a block size: each is in
   * onnxruntime's channel blocks, `[batch, channels / block, cell's positions, block]` viewed as rows.
   */
  block: number | null;
}

/**
 * The constant of a one-hot Conv that takes, for each window of a pool tiling a conv's output, the conv
 * windows of its `ph·pw` cells: a `(pool + kernel − 1)`-sized kernel (used at the pool's stride with the
 * conv's pads), channel `tap·ph·pw + cell` copying tap (i, j) of cell (dy, dx), the big window's value at
 * (dy + i, dx + j).
 */
function cellWindowKernel(
  ops: Ops,
  [kernelHeight, kernelWidth]: [number, number],
  [poolHeight, poolWidth]: [number, number],
): { weights: string; size: [number, number] } {
  const cells = poolHeight * poolWidth;
  const taps = kernelHeight * kernelWidth;
  const size: [number, number] = [poolHeight + kernelHeight - 1, poolWidth + kernelWidth - 1];
  const values = new Float32Array(cells * taps * size[0] * size[1]);
  for (let dy = 0; dy < poolHeight; dy++)
    for (let dx = 0; dx < poolWidth; dx++)
      for (let i = 0; i < kernelHeight; i++)
        for (let j = 0; j < kernelWidth; j++) {
          const channel = (i * kernelWidth + j) * cells + dy * poolWidth + dx;
          values[(channel * size[0] + dy + i) * size[1] + dx + j] = 1;
        }
  return { weights: ops.floats([cells * taps, 1, ...size], values, 'cell_windows'), size };
}

/** Where one pool cell's conv reads the conv's input along one axis: `[start, end)`, with padding around it. */
interface CellSpan {
  start: number;
  end: number;
  before: number;
  after: number;
}

/**
 * For each cell of a pool of `pool`-sized windows tiling the output (`[height, width]`, the pool's
 * `[outHeight, outWidth]`) of a stride-1 conv (`kernel`, `pads` as `[top, left, bottom, right]`), in
 * row-major order: where that cell's windows read the conv's input. The conv written at the pool's stride
 * over `[start, end)` of each axis with `before` and `after` padding gives exactly the pool's output size,
 * each window the conv window of that cell of a pool window. `whole` is whether no cell needs a slice.
 */
function cellSpans(
  [kernelHeight, kernelWidth]: [number, number],
  [top, left, bottom, right]: number[],
  pool: [number, number],
  [height, width]: [number, number],
  [outHeight, outWidth]: [number, number],
): { spans: { rows: CellSpan; columns: CellSpan }[]; inHeight: number; inWidth: number; whole: boolean } {
  // The conv's input size, from its output's (stride 1).
  const inHeight = height - 1 + kernelHeight - top! - bottom!;
  const inWidth = width - 1 + kernelWidth - left! - right!;
  const span = (
    size: number,
    kernel: number,
    padBefore: number,
    poolSize: number,
    outSize: number,
    offset: number,
  ) => {
    const first = offset - padBefore;
    const last = poolSize * (outSize - 1) + offset - padBefore + kernel - 1;
    return {
      start: Math.max(0, first),
      end: Math.min(size, last + 1),
      before: Math.max(0, -first),
      after: Math.max(0, last + 1 - size),
    };
  };
  const spans: { rows: CellSpan; columns: CellSpan }[] = [];
  for (let dy = 0; dy < pool[0]; dy++)
    for (let dx = 0; dx < pool[1]; dx++)
      spans.push({
        rows: span(inHeight, kernelHeight, top!, pool[0], outHeight, dy),
        columns: span(inWidth, kernelWidth, left!, pool[1], outWidth, dx),
      });
  const whole = spans.every(
    ({ rows, columns }) =>
      rows.start === 0 && rows.end === inHeight && columns.start === 0 && columns.end === inWidth,
  );
  return { spans, inHeight, inWidth, whole };
}

/**
 * Writes the conv that `output` is (a Conv2D on a single-channel input at stride 1, marked by
 * {@link markPositionwise}, with filters in whole blocks and a relu or no activation) once per cell of the
 * pool of `pool`-sized windows that tiles it, as onnxruntime's blocked Conv of the input at the pool's stride
 * ({@link blockedConvOfImages}), the relu fused: each cell's output comes out in blocks, where the pool reads
 * it, in place of the windows, the 1×1 Conv over them and the reorders (measured on 2 threads for `[64, 1,
 * 28, 28]` and 32 filters: 1.2-1.7 ms for the four Convs and the Max, against 1.6-2.2 for the 1×1 Convs,
 * the Max and the reorder into blocks). `output` is not rewritten, so any other reader still gets it (and
 * what nothing reads is pruned). The conv's kernel gradient reads the cells' windows ({@link convCellsOf}),
 * from a one-hot Conv taken cell by cell. Returns each cell's output as rows of `block` values (`[batch,
 * filters / block, outHeight, outWidth, block]` flattened), or undefined when the conv is not of that form.
 *
 * @example
 * const cells = blockedConvCells(ops, conv.output, [2, 2], [28, 28], [14, 14], 16); // four [-1, 16] views
 */
export function blockedConvCells(
  ops: Ops,
  output: string,
  pool: [number, number],
  [height, width]: [number, number],
  [outHeight, outWidth]: [number, number],
  block: number,
): string[] | undefined {
  const source = positionwise(ops.graph).get(output);
  const conv = source?.conv;
  if (source === undefined || conv === undefined || source.channels !== 1) return undefined;
  const { geometry } = source;
  if (geometry.strides.some((stride) => stride !== 1) || (geometry.dilations ?? [1, 1]).some((d) => d !== 1))
    return undefined;
  if (conv.filters % block !== 0 || (conv.activation !== 'relu' && conv.activation !== 'linear'))
    return undefined;
  const [kernelHeight, kernelWidth] = geometry.kernel;
  const { spans, inHeight, inWidth } = cellSpans(
    geometry.kernel,
    geometry.pads,
    pool,
    [height, width],
    [outHeight, outWidth],
  );
  // Named as the conv's nodes: they are its work.
  const convOps = ops.scope(conv.scope);
  const shape = { kernelHeight, kernelWidth, inChannels: 1, outChannels: conv.filters };
  const weights = imagesKernelInBlocks(convOps, conv.kernel, shape, block);
  const cells = spans.map(({ rows, columns }, cell) => {
    const sliced = rows.start > 0 || rows.end < inHeight || columns.start > 0 || columns.end < inWidth;
    const input = sliced
      ? convOps.node('Slice', [
          conv.input,
          convOps.int64s([rows.start, columns.start], 'starts'),
          convOps.int64s([rows.end, columns.end], 'ends'),
          convOps.int64s([2, 3], 'axes'),
        ])
      : conv.input;
    const attributes = {
      kernel_shape: geometry.kernel,
      pads: [rows.before, columns.before, rows.after, columns.after],
      strides: pool,
      dilations: [1, 1],
      ...(conv.activation === 'relu' ? { activation: 'Relu' } : {}),
    };
    const output = blockedConvOfImages(convOps, input, weights, attributes, conv.bias, `cell${cell}`);
    return ops.reshape(output, [-1, block]);
  });
  cellConvs(ops.graph).set(output, cellWindowsOf(convOps, conv.input, geometry, pool, outHeight));
  return cells;
}

/**
 * The cells of the tiling pool of `pool`-sized windows over `blocked`, the output of a blocked Conv at stride
 * 1 (`[height, width]`, the pool's `[outHeight, outWidth]`), written by that Conv again once per cell at the
 * pool's stride, with the same inputs (the relu fused as before): no Splits cut the cells out of its
 * output (measured on 2 threads for `[64, 32, 14, 14]` → 64 filters, 3×3, and the pool's Max: 3.1-3.6
 * against 3.3-3.9 ms, the four Convs a little slower than one and the three Splits gone). Each cell comes
 * out in blocks as rows of `block` values; the Conv's own output stays for any other reader (what nothing
 * reads is pruned). Undefined when the Conv's cells would need a slice of its blocked input.
 *
 * @example
 * const cells = blockedConvByCell(ops, blocked, [2, 2], [14, 14], [7, 7], 16); // four [-1, 16] views
 */
export function blockedConvByCell(
  ops: Ops,
  blocked: string,
  pool: [number, number],
  [height, width]: [number, number],
  [outHeight, outWidth]: [number, number],
  block: number,
): string[] | undefined {
  const conv = blockedConvOf(ops.graph, blocked);
  if (conv === undefined) return undefined;
  const {
    strides,
    dilations,
    pads,
    kernel_shape: kernel,
    group,
  } = conv.attributes as {
    strides?: number[];
    dilations?: number[];
    pads?: number[];
    kernel_shape?: number[];
    group?: number;
  };
  if ((strides ?? [1, 1]).some((stride) => stride !== 1) || (dilations ?? [1, 1]).some((d) => d !== 1))
    return undefined;
  if ((group ?? 1) !== 1 || kernel?.length !== 2) return undefined;
  const { spans, whole } = cellSpans(
    kernel as [number, number],
    pads ?? [0, 0, 0, 0],
    pool,
    [height, width],
    [outHeight, outWidth],
  );
  // A blocked value's H and W cannot be sliced as NCHW ones.
  if (!whole) return undefined;
  const scope = ops.scope(conv.name.slice(0, conv.name.lastIndexOf('/')));
  return spans.map(({ rows, columns }, cell) => {
    const attributes = {
      ...conv.attributes,
      strides: pool,
      pads: [rows.before, columns.before, rows.after, columns.after],
    };
    const output = scope.node('Conv', [...conv.inputs], attributes, `cell${cell}`, conv.domain);
    return ops.reshape(output, [-1, block]);
  });
}

/**
 * Each pool cell's conv windows of a single-channel `input` (a one-hot Conv taken cell by cell, as
 * {@link listWindowsByCell} rewrites one), split by cell: `[batch, taps, outHeight, outWidth]` each.
 */
function cellWindowsOf(
  ops: Ops,
  input: string,
  geometry: WindowGeometry,
  pool: [number, number],
  outHeight: number,
): string[] {
  const cells = pool[0] * pool[1];
  const taps = geometry.kernel[0] * geometry.kernel[1];
  const { weights, size } = cellWindowKernel(ops, geometry.kernel, pool);
  const byCell = ops.node(
    'Conv',
    [input, weights],
    { kernel_shape: size, pads: geometry.pads, strides: pool, dilations: [1, 1], group: 1 },
    'by_cell_windows',
  );
  const listed = ops.reshape(byCell, [0, taps, -1, 0]);
  return ops.nodeMulti('Split', [listed, ops.int64s(new Array(cells).fill(outHeight), 'cell_rows')], cells, {
    axis: 2,
  });
}

/**
 * After {@link listWindowsByCell}: writes the conv once per pool cell instead of once over every cell, so that
 * the pool reads each cell's output as it is written (no Split of the conv's output) and hands its gradient
 * back by cell (no Concat): the windows `[batch, taps, cells·outHeight, outWidth]` are split by cell (for the
 * images' single channel, `taps / filters` of the conv output's size), and the conv (a Conv over the windows,
 * then a ReLU or nothing) is written for each. Returns each cell's output `[batch, filters, outHeight,
 * outWidth]`, or null (nothing changed) when the conv is not of that form. The conv's kernel and bias
 * gradients then read the pieces ({@link convCellsOf}, {@link cellGradientOf}).
 *
 * @example
 * const outputs = splitConvByCell(ops, input.name, 4, 14); // four [batch, 32, 14, 14] values
 */
export function splitConvByCell(ops: Ops, output: string, cells: number, outHeight: number): string[] | null {
  const { graph } = ops;
  const last = graph.producer(output);
  const activation = last?.opType === 'Relu' ? last : undefined;
  const linear = activation ? graph.producer(activation.inputs[0]!) : last;
  if (linear === undefined || linear.opType !== 'Conv' || linear.domain) return null;
  if (activation && graph.consumers(linear.outputs[0]!).length !== 1) return null;
  const windows = linear.inputs[0]!;
  const writer = graph.producer(windows);
  if (writer === undefined || graph.consumers(windows).length !== 1) return null;

  const pieces = Array.from({ length: cells }, (_, cell) => graph.uniqueName(`${windows}/cell${cell}`));
  graph.insertAfter(writer, {
    opType: 'Split',
    name: graph.uniqueName(`${writer.name}/by_cell`),
    inputs: [windows, ops.int64s(new Array(cells).fill(outHeight), 'cell_rows')],
    outputs: pieces,
    attributes: { axis: 2 },
  });
  const outputs: string[] = [];
  const perCell: GraphNode[] = [];
  pieces.forEach((piece, cell) => {
    const linearOutput = graph.uniqueName(`${linear.name}/cell${cell}:0`);
    perCell.push({
      ...linear,
      name: graph.uniqueName(`${linear.name}/cell${cell}`),
      inputs: [piece, ...linear.inputs.slice(1)],
      outputs: [linearOutput],
      attributes: { ...linear.attributes },
    });
    if (activation) {
      const relu = graph.uniqueName(`${activation.name}/cell${cell}:0`);
      perCell.push({
        ...activation,
        name: graph.uniqueName(`${activation.name}/cell${cell}`),
        inputs: [linearOutput],
        outputs: [relu],
        attributes: {},
      });
      outputs.push(relu);
    } else outputs.push(linearOutput);
  });
  graph.insertBefore(linear, ...perCell);
  graph.removeNode(linear);
  if (activation) graph.removeNode(activation);
  cellConvs(graph).set(output, pieces);
  return outputs;
}

/** The per-cell windows of a conv that {@link splitConvByCell} rewrote, by the output it replaced. */
export function convCellsOf(graph: GraphBuilder, output: string): string[] | undefined {
  return cellConvs(graph).get(output);
}

/**
 * Records that `gradient` (a pool's input gradient) joins the cells' shares, and what reaches each cell
 * (share `c` is `reaching[c] − reaching[c + 1]`, the last share the last piece), so that a conv written by
 * cell reads those instead ({@link cellGradientOf}); the join is then pruned if nothing else reads it.
 */
export function markCellGradient(graph: GraphBuilder, gradient: string, cellGradient: CellGradient): void {
  cellGradients(graph).set(gradient, cellGradient);
}

/** What reaches each cell of a pool's by-cell gradient ({@link markCellGradient}); undefined for any other gradient. */
export function cellGradientOf(graph: GraphBuilder, gradient: string): CellGradient | undefined {
  return cellGradients(graph).get(gradient);
}

/** Per graph: a pool's input gradient, by name: its sum over the batch and space, per channel. */
const channelSums = perGraph<string>();

/**
 * Records `sums` (`[channels]`: over the batch, then space) as the per-channel sum of `gradient`, a max-pool's
 * input gradient, taken at the pool's output size: every value of the routed gradient reaches exactly one
 * cell, so the sums are the same. A conv before the pool reads them for its bias gradient
 * ({@link gradientSumsOf}) instead of summing the full-size gradient.
 */
export function markGradientSums(graph: GraphBuilder, gradient: string, sums: string): void {
  channelSums(graph).set(gradient, sums);
}

/** The per-channel sums {@link markGradientSums} recorded for `gradient`, if any. */
export function gradientSumsOf(graph: GraphBuilder, gradient: string): string | undefined {
  return channelSums(graph).get(gradient);
}

/** How a window op is laid out: kernel size, strides, explicit pads and dilations. */
export interface WindowGeometry {
  kernel: [number, number];
  strides: [number, number];
  /** `[top, left, bottom, right]`. */
  pads: number[];
  dilations?: [number, number];
}

/**
 * The constant of a Conv that copies each input channel's `kh × kw` window into `kh·kw` output channels
 * (output channel `i·kh·kw + k` holds tap `k` of input channel `i`): im2col as a Conv, so the windows come
 * out of onnxruntime's convolution code. Shape `[channels·kh·kw, 1, kh, kw]`.
 *
 * @example
 * patchKernel(ops, 1, 2, 2); // 4 one-hot 2×2 filters
 */
export function patchKernel(ops: Ops, channels: number, kernelHeight: number, kernelWidth: number): string {
  const taps = kernelHeight * kernelWidth;
  const values = new Float32Array(channels * taps * taps);
  for (let channel = 0; channel < channels; channel++)
    for (let tap = 0; tap < taps; tap++) values[(channel * taps + tap) * taps + tap] = 1;
  return ops.floats([channels * taps, 1, kernelHeight, kernelWidth], values, 'patch_kernel');
}

/**
 * Every channel's windows, `[batch, channels·kh·kw, outHeight, outWidth]` (channel-major, taps row-major).
 * `grouped` writes one grouped Conv (fastest on onnxruntime's CPU provider); otherwise the channels move
 * into the batch (`[batch·channels, 1, h, w]`) for a Conv with a single group, because onnxruntime-web
 * 1.30's WebGPU provider computes a grouped Conv with one input channel per group wrongly.
 *
 * @example
 * const windows = windowsOf(ops, input, 32, { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, true);
 */
export function windowsOf(
  ops: Ops,
  input: string,
  channels: number,
  geometry: WindowGeometry,
  grouped: boolean,
): string {
  const { kernel, strides, pads } = geometry;
  const attributes = { kernel_shape: kernel, pads, strides, dilations: geometry.dilations ?? [1, 1] };
  const taps = kernel[0] * kernel[1];
  if (grouped || channels === 1) {
    return ops.node('Conv', [input, patchKernel(ops, channels, kernel[0], kernel[1])], {
      ...attributes,
      group: channels,
    });
  }
  const single = ops.node(
    'Conv',
    [ops.reshape(input, [-1, 1, 0, 0]), patchKernel(ops, 1, kernel[0], kernel[1])],
    {
      ...attributes,
      group: 1,
    },
  );
  return ops.reshape(single, [-1, channels * taps, 0, 0]);
}

/**
 * The adjoint of {@link windowsOf}: adds each window's values `[batch, channels·kh·kw, outHeight, outWidth]`
 * back to the cells they came from, `[batch, channels, height, width]` (overlaps summed, padding dropped),
 * as a ConvTranspose with a single group per channel moved into the batch. `outputPadding` brings the
 * size back to the input's.
 *
 * @example
 * const dx = addWindowsBack(ops, shares, 32, geometry, [0, 0], 28, 28);
 */
export function addWindowsBack(
  ops: Ops,
  windows: string,
  channels: number,
  geometry: WindowGeometry,
  outputPadding: number[],
  height: number,
  width: number,
): string {
  const { kernel, strides, pads } = geometry;
  const taps = kernel[0] * kernel[1];
  const perChannel = ops.reshape(windows, [-1, taps, 0, 0]);
  const added = ops.node('ConvTranspose', [perChannel, patchKernel(ops, 1, kernel[0], kernel[1])], {
    kernel_shape: kernel,
    pads,
    strides,
    group: 1,
    output_padding: outputPadding,
  });
  return ops.reshape(added, [-1, channels, height, width]);
}

/**
 * Every output position's window of the NCHW `input` as one row, `[batch, outHeight·outWidth,
 * kh·kw·channels]` (tap-major, then channel: the order of an HWIO kernel's first three axes), taken by a
 * single Gather from the input's rows of channels with a zero row in front for the padding. For a conv whose
 * forward reads its input itself (the blocked Conv), these rows serve its kernel gradient: a batched GEMM
 * with the output gradient. The Gather copies whole rows of `channels` values, where a one-hot Conv runs
 * im2col and a GEMM with 9 outputs per group (measured on 1 thread, `[64, 32, 14, 14]`, 3×3: 2.9 ms for
 * the transpose, padding and Gather against 5.4-6.0 ms for the one-hot Conv). With `blocked` (the input in
 * onnxruntime's channel blocks, which the blocked Conv reads anyway) the rows are those blocks reordered to
 * NHWC, and the zero row is joined by a Concat: in the step on 2 threads, the Transpose and Pad took 0.33
 * and 0.29 ms (onnxruntime runs them on one thread), the ReorderOutput and Concat 0.24 and 0.18 ms on a
 * slower run.
 *
 * @example
 * const rows = windowRowsOf(ops, x, 32, [14, 14], [14, 14], geometry); // [batch, 196, 288]
 */
export function windowRowsOf(
  ops: Ops,
  input: string,
  channels: number,
  [height, width]: [number, number],
  [outHeight, outWidth]: [number, number],
  geometry: WindowGeometry,
  blocked?: string,
): string {
  const { kernel, strides, pads } = geometry;
  const dilations = geometry.dilations ?? [1, 1];
  const taps = kernel[0] * kernel[1];
  const positions = outHeight * outWidth;
  const pixels = height * width;
  // Row 0 is zeros; pixel `p` of image `n` is row `1 + n·pixels + p`. `start` is a window cell's row in
  // image 0 (0 where it falls in the padding), `inImage` 1 where it does not.
  const start = new Int32Array(positions * taps);
  const inImage = new Int32Array(positions * taps);
  for (let y = 0; y < outHeight; y++)
    for (let x = 0; x < outWidth; x++)
      for (let i = 0; i < kernel[0]; i++)
        for (let j = 0; j < kernel[1]; j++) {
          const sourceY = y * strides[0] - pads[0]! + i * dilations[0];
          const sourceX = x * strides[1] - pads[1]! + j * dilations[1];
          if (sourceY < 0 || sourceY >= height || sourceX < 0 || sourceX >= width) continue;
          const index = (y * outWidth + x) * taps + i * kernel[1] + j;
          start[index] = 1 + sourceY * width + sourceX;
          inImage[index] = 1;
        }
  const channelsLast =
    blocked === undefined
      ? ops.transpose(ops.reshape(input, [-1, channels, pixels]), [0, 2, 1])
      : reorderOutput(ops, blocked, channels, true);
  const pixelRows = ops.reshape(channelsLast, [-1, channels]);
  const rows = ops.node(
    'Concat',
    [ops.floats([1, channels], new Float32Array(channels), 'zero_row'), pixelRows],
    {
      axis: 0,
    },
  );
  // The batch size from the blocks when given: reading the NCHW value's shape would keep its reorder alive.
  const imageStarts = ops.mul(ops.batchIndices(blocked ?? input), ops.int32s([], [pixels], 'pixels'));
  const indices = ops.add(
    ops.mul(ops.reshape(imageStarts, [-1, 1, 1]), ops.int32s([1, positions, taps], inImage, 'in_image')),
    ops.int32s([1, positions, taps], start, 'window_starts'),
  );
  return ops.reshape(ops.node('Gather', [rows, indices], { axis: 0 }), [-1, positions, taps * channels]);
}
