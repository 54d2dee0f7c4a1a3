import type { GraphBuilder } from '../../graph/graph-builder.js';
import { reorderOutput } from '../nchwc.js';
import { type Ops, perGraph } from '../ops.js';

/**
 * Per graph: layer outputs computed position by position from windows whose source needs no gradient (a
 * conv on the images), with those windows: reordering the windows' columns reorders the output's columns
 * the same way, and the conv's kernel and bias gradients (sums over positions) do not change.
 */
const positionwise = perGraph<PositionwiseSource>();

/** The windows a position-by-position output is computed from, and how they were taken. */
export interface PositionwiseSource {
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

/** The marked source of a position-by-position `output` ({@link markPositionwise}), if any. */
export function positionwiseSourceOf(graph: GraphBuilder, output: string): PositionwiseSource | undefined {
  return positionwise(graph).get(output);
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

/**
 * The constant of a one-hot Conv that takes, for each window of a pool tiling a conv's output, the conv
 * windows of its `ph·pw` cells: a `(pool + kernel − 1)`-sized kernel (used at the pool's stride with the
 * conv's pads), channel `tap·ph·pw + cell` copying tap (i, j) of cell (dy, dx), the big window's value at
 * (dy + i, dx + j).
 */
export function cellWindowKernel(
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
