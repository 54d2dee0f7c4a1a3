import type { GraphBuilder, GraphNode } from '../../graph/graph-builder.js';
import { blockedConvOf, blockedConvOfImages, imagesKernelInBlocks } from '../nchwc.js';
import { type Ops, perGraph } from '../ops.js';
import { cellWindowKernel, positionwiseSourceOf, type WindowGeometry } from './windows.js';

// A conv written once per cell of the tiling max-pool after it, and what the pool hands back by cell: the
// rewrites that let a pool read each cell where it is written (ARCHITECTURE, "Training on ONNX Runtime").

/**
 * Per graph: convs written once per pool cell ({@link splitConvByCell}, {@link blockedConvCells}), by the output
 * they stand for: each cell's windows.
 */
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
 * each window the conv window of that cell of a pool window; `sliced` when that is less than the whole input.
 */
function cellSpans(
  [kernelHeight, kernelWidth]: [number, number],
  [top, left, bottom, right]: number[],
  pool: [number, number],
  [height, width]: [number, number],
  [outHeight, outWidth]: [number, number],
): { rows: CellSpan; columns: CellSpan; sliced: boolean }[] {
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
  const spans: { rows: CellSpan; columns: CellSpan; sliced: boolean }[] = [];
  for (let dy = 0; dy < pool[0]; dy++)
    for (let dx = 0; dx < pool[1]; dx++) {
      const rows = span(inHeight, kernelHeight, top!, pool[0], outHeight, dy);
      const columns = span(inWidth, kernelWidth, left!, pool[1], outWidth, dx);
      const sliced = rows.start > 0 || rows.end < inHeight || columns.start > 0 || columns.end < inWidth;
      spans.push({ rows, columns, sliced });
    }
  return spans;
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
  const source = positionwiseSourceOf(ops.graph, output);
  const conv = source?.conv;
  if (source === undefined || conv === undefined || source.channels !== 1) return undefined;
  const { geometry } = source;
  if (geometry.strides.some((stride) => stride !== 1) || (geometry.dilations ?? [1, 1]).some((d) => d !== 1))
    return undefined;
  if (conv.filters % block !== 0 || (conv.activation !== 'relu' && conv.activation !== 'linear'))
    return undefined;
  const [kernelHeight, kernelWidth] = geometry.kernel;
  const spans = cellSpans(geometry.kernel, geometry.pads, pool, [height, width], [outHeight, outWidth]);
  // Named as the conv's nodes: they are its work.
  const convOps = ops.scope(conv.scope);
  const shape = { kernelHeight, kernelWidth, inChannels: 1, outChannels: conv.filters };
  const weights = imagesKernelInBlocks(convOps, conv.kernel, shape, block);
  const cells = spans.map(({ rows, columns, sliced }, cell) => {
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
  const spans = cellSpans(
    kernel as [number, number],
    pads ?? [0, 0, 0, 0],
    pool,
    [height, width],
    [outHeight, outWidth],
  );
  // A blocked value's H and W cannot be sliced as NCHW ones.
  if (spans.some(({ sliced }) => sliced)) return undefined;
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

/** Each cell's windows of a conv written once per pool cell ({@link splitConvByCell}, {@link blockedConvCells}). */
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
