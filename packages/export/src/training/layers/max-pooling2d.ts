import { isReluOutput, markReluMasked } from '../activations.js';
import { blockedOf, blockedSourceOf, reorderOutput } from '../nchwc.js';
import type { Ops } from '../ops.js';
import {
  blockedConvByCell,
  blockedConvCells,
  markCellGradient,
  markGradientSums,
  splitConvByCell,
} from './cells.js';
import { checkPooling, earlierOnes, outputPadding, poolGeometry } from './pooling.js';
import type { TrainerConfig } from './types.js';
import { addWindowsBack, listWindowsByCell, reorderWindowColumns, windowsOf } from './windows.js';

/**
 * The `width × tiled` 0/1 matrix that, multiplied on the right of an image row, lists its windows' cells
 * column by column: `kw` blocks of `tiled / kw` values, block `c` holding column `c` of every window along
 * the row (the columns from `tiled` on, which no window reads, are left out). A GEMM moves the data exactly
 * (every other product is 0 · x) and far faster than onnxruntime's SpaceToDepth; its transpose puts the
 * blocks back, with zeros where the left-out columns were.
 */
function rowGather(kernelWidth: number, width: number, tiled = width): Float32Array {
  const outWidth = tiled / kernelWidth;
  const matrix = new Float32Array(width * tiled);
  for (let x = 0; x < tiled; x++)
    matrix[x * tiled + (x % kernelWidth) * outWidth + Math.floor(x / kernelWidth)] = 1;
  return matrix;
}

function transpose(matrix: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(matrix.length);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++)
      result[column * rows + row] = matrix[row * columns + column]!;
  return result;
}

/**
 * The windows' cells of `value`, NCHW planes viewed as image rows of `width`: one GEMM ({@link rowGather})
 * lists each row's cells column by column, up to column `tiled`; `kh` consecutive listed rows then hold every
 * cell of a row of windows, in tfjs's row-major order, and a Split separates them. Their Max is the pool's
 * output. The values come back for the backward, and for the rewrites at a conv's source.
 */
function listedCells(
  ops: Ops,
  value: string,
  kernel: [number, number],
  width: number,
  tiled: number,
): {
  gather: Float32Array;
  gatherMatrix: string;
  listed: string;
  rows: string;
  cells: string[];
  maxima: string;
} {
  const taps = kernel[0] * kernel[1];
  const outWidth = tiled / kernel[1];
  const gather = rowGather(kernel[1], width, tiled);
  const gatherMatrix = ops.floats([width, tiled], gather, 'gather');
  const listed = ops.node('MatMul', [ops.reshape(value, [-1, width]), gatherMatrix]);
  const rows = ops.reshape(listed, taps === 1 ? [-1, outWidth] : [-1, taps * outWidth]);
  const cells =
    taps === 1
      ? [rows]
      : ops.nodeMulti('Split', [rows, ops.int64s(new Array(taps).fill(outWidth), 'split')], taps, {
          axis: 1,
        });
  return { gather, gatherMatrix, listed, rows, cells, maxima: maxOf(ops, cells) };
}

/**
 * Rows of listed cells (`[…, tiled]`, in {@link listedCells}' order) put back in place as image rows of
 * `width`: the GEMM by the transposed listing matrix `gather`, with zeros in the columns the listing left out.
 */
function placedRows(ops: Ops, rows: string, gather: Float32Array, width: number, tiled: number): string {
  return ops.node('MatMul', [rows, ops.floats([tiled, width], transpose(gather, width, tiled), 'scatter')]);
}

/**
 * The elementwise maximum of `values` (one value is returned as it is) as a tree of two-input Maxes:
 * onnxruntime's Max of four inputs took 0.77 ms on 1 thread and 0.85-0.95 ms on 2 for `[64, 6272]` each,
 * the tree 0.78 and 0.49-0.55 ms.
 */
function maxOf(ops: Ops, values: string[]): string {
  let level = values;
  while (level.length > 1) {
    const next: string[] = [];
    for (let index = 0; index < level.length; index += 2)
      next.push(
        index + 1 < level.length ? ops.node('Max', [level[index]!, level[index + 1]!]) : level[index]!,
      );
    level = next;
  }
  return level[0]!;
}

/**
 * Each cell's share of `gradient` (laid out as each cell and `maxima`): all of it to the first cell equal
 * to the maximum, in `cells`' order. `later` is the part that passes a cell below the maximum on to the
 * next cells, the cell keeps the rest, and the last cell keeps whatever is left (some cell holds the
 * maximum, so it reaches exactly one). After a relu (`afterRelu`), the relu's mask at that cell is
 * `max > 0`: applied here, at the output's size, the relu skips its own. `reaching` holds what reaches
 * each cell: share `c` is `reaching[c] − reaching[c + 1]`, the last share the last of them.
 */
function firstMaximumShares(
  ops: Ops,
  cells: string[],
  maxima: string,
  gradient: string,
  afterRelu: boolean,
): { shares: string[]; reaching: string[] } {
  let rest = gradient;
  if (afterRelu)
    rest = ops.mul(rest, ops.cast(ops.node('Greater', [maxima, ops.scalar(0, 'zero')]), 'float32'));
  const reaching: string[] = [];
  const shares = cells.map((values, cell) => {
    reaching.push(rest);
    if (cell === cells.length - 1) return rest;
    const later = ops.mul(rest, ops.cast(ops.node('Less', [values, maxima]), 'float32'));
    const share = ops.sub(rest, later);
    rest = later;
    return share;
  });
  return { shares, reaching };
}

/**
 * The cells of the tiling max-pool of `blocked` (a blocked Conv's output, onnxruntime's NCHWc: per image,
 * `channels / block` blocks of `[height, width, block]`), as they lie in those blocks: viewed as `[…, kh,
 * outWidth·kw·block]`, one Split separates each row of windows into its `kh` image rows and one per row the
 * cells, moving runs of whole pixels. Each cell is rows of `block` values, `[batch, channels / block,
 * outHeight, outWidth, block]` flattened, in row-major order.
 */
function cellsOfBlocked(
  ops: Ops,
  blocked: string,
  [kernelHeight, kernelWidth]: [number, number],
  outWidth: number,
  block: number,
): string[] {
  const rowLength = outWidth * kernelWidth * block;
  // `value` as rows of `length`, cut into `parts` equal pieces along them (the rows themselves for one part).
  const cut = (value: string, length: number, parts: number) => {
    const view = ops.reshape(value, [-1, length]);
    if (parts === 1) return [view];
    return ops.nodeMulti('Split', [view, ops.int64s(new Array(parts).fill(length / parts), 'split')], parts, {
      axis: 1,
    });
  };
  const rows = cut(blocked, kernelHeight * rowLength, kernelHeight);
  return rows.flatMap((row) => cut(row, kernelWidth * block, kernelWidth));
}

/**
 * The tiling max-pool of a value in onnxruntime's channel blocks, given its cells in blocks (each rows of
 * `block` values, {@link cellsOfBlocked}'s layout): the cells' Max is the output in blocks, reordered to NCHW
 * (or, for a Flatten, to NHWC: `toTfjsOrder`). The gradient comes back in blocks (`blockedOf`), is routed,
 * and Concats put the cells back in blocks, which a blocked Conv's input gradient reads as they are; a
 * conv's kernel gradient reads them reordered to NCHW, and its bias gradient the per-channel sums taken here
 * at the output's size (`markGradientSums`). With `byCell` (cells written by {@link blockedConvCells}), what
 * reaches each cell is recorded for the conv's kernel gradient (`markCellGradient`). Against GEMMs listing
 * the cells of NCHW rows, for `[64, 64, 14, 14]` on 2 threads with a Flatten after it: 8.4-9.7 against
 * 9.7-10.6 ms for the pool's nodes, the Flatten's and the kernel gradient's MatMul (no GEMMs, no
 * Transposes, no reorder into blocks).
 */
function blockedTiles(
  ops: Ops,
  cells: string[],
  input: { name: string; afterRelu: boolean; byCell: boolean },
  geometry: { kernel: [number, number]; height: number; width: number; outHeight: number; outWidth: number },
  channels: number,
  block: number,
): { output: string; backward: (gradient: string) => string } {
  const { kernel, height, width, outHeight, outWidth } = geometry;
  const [kernelHeight, kernelWidth] = kernel;
  const rowLength = outWidth * kernelWidth * block;
  const join = (pieces: string[]) =>
    pieces.length === 1 ? pieces[0]! : ops.node('Concat', pieces, { axis: 1 });
  const maxima = maxOf(ops, cells);
  const output = reorderOutput(ops, ops.reshape(maxima, [-1, channels, outHeight, outWidth]), channels);
  return {
    output,
    backward: (gradient) => {
      const inBlocks = ops.reshape(blockedOf(ops, gradient, channels), [-1, block]);
      const { shares, reaching } = firstMaximumShares(ops, cells, maxima, inBlocks, input.afterRelu);
      // Each row of windows is `kh` image rows of `rowLength` values, each of them `outWidth` runs of `kw` cells.
      const joined = join(
        Array.from({ length: kernelHeight }, (_, row) =>
          ops.reshape(join(shares.slice(row * kernelWidth, (row + 1) * kernelWidth)), [-1, rowLength]),
        ),
      );
      const inputGradient = reorderOutput(ops, ops.reshape(joined, [-1, channels, height, width]), channels);
      if (input.afterRelu) markReluMasked(ops.graph, inputGradient, input.name);
      if (input.byCell) markCellGradient(ops.graph, inputGradient, { reaching, block });
      // Per channel (block, lane): over the output's pixels, then the batch.
      const pixels = ops.reshape(reaching[0]!, [-1, channels / block, outHeight * outWidth, block]);
      const sums = ops.reduceSum(ops.reduceSum(pixels, [2]), [0]);
      markGradientSums(ops.graph, inputGradient, ops.reshape(sums, [channels]));
      return inputGradient;
    },
  };
}

/**
 * A tiling max-pool of the NCHW `input` whose windows leave out its last rows or columns (valid padding on an
 * odd size, Keras' usual 11 → 5): each image plane is cut to the rows the windows read (one contiguous run
 * of each), the listing GEMM ({@link listedCells}) leaves out the last columns, and the tiling pool's Split,
 * Max and routing follow. The gradient comes back through the transposed GEMM (zeros in the left-out
 * columns) and is padded with zero rows. In the `dropout` preset's step (`[64, 64, 11, 11]`, 2 threads,
 * profiled): 2.4-2.8 ms for the pool's nodes against 3.5-4.1 for the MaxPool, the windows' one-hot Conv and
 * the ConvTranspose, and the relu before it skips its own mask.
 */
function croppedTiles(
  ops: Ops,
  input: string,
  geometry: { kernel: [number, number]; height: number; width: number; outHeight: number; outWidth: number },
  channels: number,
): { output: string; backward: (gradient: string) => string } {
  const { kernel, height, width, outHeight, outWidth } = geometry;
  const [tiledHeight, tiledWidth] = [outHeight * kernel[0], outWidth * kernel[1]];
  const planes = ops.reshape(input, [-1, height * width]);
  const read =
    tiledHeight < height
      ? ops.node('Slice', [planes, ops.int64s([0]), ops.int64s([tiledHeight * width]), ops.int64s([1])])
      : planes;
  const { gather, cells, maxima } = listedCells(ops, read, kernel, width, tiledWidth);
  const afterRelu = isReluOutput(ops.graph, input);
  return {
    output: ops.reshape(maxima, [-1, channels, outHeight, outWidth]),
    backward: (gradient) => {
      const { shares } = firstMaximumShares(
        ops,
        cells,
        maxima,
        ops.reshape(gradient, [-1, outWidth]),
        afterRelu,
      );
      const joined = ops.reshape(ops.node('Concat', shares, { axis: 1 }), [-1, tiledWidth]);
      const placed = placedRows(ops, joined, gather, width, tiledWidth);
      const rows = ops.reshape(placed, [-1, tiledHeight * width]);
      const padded =
        tiledHeight < height
          ? ops.node('Pad', [rows, ops.int64s([0, 0, 0, (height - tiledHeight) * width], 'pads')])
          : rows;
      const inputGradient = ops.reshape(padded, [-1, channels, height, width]);
      // the left-out rows and columns get 0, which the relu's mask would keep 0
      if (afterRelu) markReluMasked(ops.graph, inputGradient, input);
      return inputGradient;
    },
  };
}

/** A value below every float32 but -Infinity, for padding windows (0 · it is still 0, unlike -Infinity). */
const LOWEST = -3.4028234663852886e38;

/**
 * MaxPooling2D. Its gradient goes to the first maximum of each window in row-major order, tfjs's tie rule
 * (padded cells never win). Real images have many tied windows (the background's zeros), so a mask of all
 * the maxima would send a window's gradient to several cells.
 *
 * With windows that tile the input exactly (pool size = strides, no padding) a constant 0/1 GEMM lists
 * each image row's cells ({@link rowGather}), a Split separates the cells and the output is their Max (no
 * MaxPool, so onnxruntime reorders nothing to its blocked layout). The output gradient goes to the first cell equal to
 * the window's maximum and the rest of it on to the later cells (so it reaches exactly one), at a quarter
 * of the input's size for 2×2 windows; the transposed GEMM puts it back in place. The GEMMs assume finite
 * activations (∞ · 0 is NaN), which a finite loss implies. Windows that would tile but for the last rows or
 * columns read the input cut to the tiles ({@link croppedTiles}). Otherwise the forward is a MaxPool with
 * explicit pads, the windows come from a one-hot grouped Conv, the first maximum is found by counting the
 * maxima before each cell with a `k² × k²` MatMul and `Relu(mask − earlier)`, and a grouped ConvTranspose
 * adds each window's share back, overlaps included.
 */
export const maxPooling2dTrainer: TrainerConfig = {
  className: 'MaxPooling2D',
  check: checkPooling,
  forward: (context) => {
    const { ops } = context;
    const input = context.inputs[0]!;
    const outputShape = context.outputShapes[0]!;
    const geometry = poolGeometry(context.config, input.shape, outputShape);
    const { kernel, strides, pads, height, width, outHeight, outWidth } = geometry;
    const channels = input.shape[3] as number;
    const taps = kernel[0] * kernel[1];
    // Windows side by side, none padded: they tile the input, or all of it but the last rows or columns.
    const sideBySide = strides[0] === kernel[0] && strides[1] === kernel[1] && pads.every((pad) => pad === 0);
    const tiles = sideBySide && height % kernel[0] === 0 && width % kernel[1] === 0;
    const block = context.nchwcBlockSize;
    // In blocks: the pool of a blocked Conv's output, or of a conv on the images written again cell by cell.
    const blocked =
      tiles && taps > 1 && block !== null ? blockedSourceOf(ops.graph, input.name, channels) : undefined;
    const convCells =
      tiles && taps > 1 && block !== null && blocked === undefined
        ? blockedConvCells(ops, input.name, kernel, [height, width], [outHeight, outWidth], block)
        : undefined;
    const cells =
      blocked === undefined
        ? convCells
        : (blockedConvByCell(ops, blocked, kernel, [height, width], [outHeight, outWidth], block!) ??
          cellsOfBlocked(ops, blocked, kernel, outWidth, block!));
    if (cells !== undefined) {
      const afterRelu = isReluOutput(ops.graph, input.name);
      const pool = blockedTiles(
        ops,
        cells,
        { name: input.name, afterRelu, byCell: convCells !== undefined },
        { kernel, height, width, outHeight, outWidth },
        channels,
        block!,
      );
      return {
        outputs: [{ name: pool.output, shape: outputShape }],
        backward: ([gradient]) =>
          gradient === undefined || !context.inputsNeedGradient[0] ? [undefined] : [pool.backward(gradient)],
      };
    }
    if (tiles) {
      // The cells listed by a GEMM and their Max (`listedCells`): no MaxPool, so onnxruntime does not reorder
      // the input to its blocked layout and back, and the backward reuses the cells.
      const { gather, gatherMatrix, listed, rows, cells, maxima } = listedCells(
        ops,
        input.name,
        kernel,
        width,
        width,
      );
      const output = ops.reshape(maxima, [-1, channels, outHeight, outWidth]);
      return {
        outputs: [{ name: output, shape: outputShape }],
        backward: ([gradient]) => {
          if (gradient === undefined || !context.inputsNeedGradient[0]) return [undefined];
          // Built after every forward node, so the input's readers are all known: when the input is a conv
          // on the images, its windows' columns are listed at the source instead (a GEMM over its fewer
          // window channels), the listing GEMM above becomes an Identity, and the gradient goes back to the
          // conv in listed order (its kernel and bias gradients sum over positions).
          // Better still, with a single-channel source the conv's windows are taken cell by cell
          // (`listWindowsByCell`): the input is `[batch, channels, taps·outHeight, outWidth]`, each cell a
          // block of `outHeight·outWidth` values per channel, so the Split and Concat move whole blocks
          // and no GEMM reorders anything.
          const cellBlock = outHeight * outWidth;
          const byCell = taps > 1 && listWindowsByCell(ops, input.name, kernel);
          const listedAtSource = byCell || reorderWindowColumns(ops.graph, input.name, gatherMatrix);
          if (listedAtSource) {
            const lister = ops.graph.producer(listed)!;
            lister.opType = 'Identity';
            lister.inputs = [lister.inputs[0]!];
          }
          // And then the conv is written once per cell, so that the cells need no Split and their gradients no
          // Concat: each cell is that conv's output, viewed as rows of a cell's values.
          const perCell = byCell ? splitConvByCell(ops, input.name, taps, outHeight) : null;
          if (perCell) {
            const { graph } = ops;
            const splitter = graph.producer(cells[0]!)!;
            graph.insertBefore(
              splitter,
              ...perCell.map((output, cell) => ({
                opType: 'Reshape',
                name: graph.uniqueName(`${splitter.name}/cell${cell}`),
                inputs: [output, ops.int64s([-1, cellBlock])],
                outputs: [cells[cell]!],
                attributes: {},
              })),
            );
            // The Split, the input's row view, the lister and the rows' view are read by nothing now.
            const lister = graph.producer(listed)!;
            for (const dead of [splitter, graph.producer(rows)!, lister, graph.producer(lister.inputs[0]!)!])
              graph.removeNode(dead);
          } else if (byCell) {
            const view = ops.graph.producer(rows)!;
            view.inputs[1] = ops.int64s([-1, taps * cellBlock]);
            ops.graph.producer(cells[0]!)!.inputs[1] = ops.int64s(new Array(taps).fill(cellBlock), 'split');
          }
          // The gradient goes to the first cell equal to the maximum (`firstMaximumShares`).
          const afterRelu = isReluOutput(ops.graph, input.name);
          const gradientRows = ops.reshape(gradient, [-1, byCell ? cellBlock : outWidth]);
          const { shares, reaching } = firstMaximumShares(ops, cells, maxima, gradientRows, afterRelu);
          // The transposed GEMM puts every image row's cells back in place.
          const joined = ops.node('Concat', shares, { axis: 1 });
          if (byCell) {
            const inputGradient = ops.reshape(joined, [-1, channels, taps * outHeight, outWidth]);
            if (afterRelu) markReluMasked(ops.graph, inputGradient, input.name);
            if (perCell) markCellGradient(ops.graph, inputGradient, { reaching, block: null });
            return [inputGradient];
          }
          const routed = ops.reshape(joined, [-1, width]);
          const placed = listedAtSource ? routed : placedRows(ops, routed, gather, width, width);
          const inputGradient = ops.reshape(placed, [-1, channels, height, width]);
          if (afterRelu) markReluMasked(ops.graph, inputGradient, input.name);
          return [inputGradient];
        },
      };
    }
    if (sideBySide) {
      const pool = croppedTiles(ops, input.name, { kernel, height, width, outHeight, outWidth }, channels);
      return {
        outputs: [{ name: pool.output, shape: outputShape }],
        backward: ([gradient]) =>
          gradient === undefined || !context.inputsNeedGradient[0] ? [undefined] : [pool.backward(gradient)],
      };
    }
    const output = ops.node('MaxPool', [input.name], { kernel_shape: kernel, pads, strides });
    return {
      outputs: [{ name: output, shape: outputShape }],
      backward: ([gradient]) => {
        if (gradient === undefined || !context.inputsNeedGradient[0]) return [undefined];
        const padded = pads.some((pad) => pad > 0)
          ? ops.node('Pad', [
              input.name,
              ops.int64s([0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!], 'pads'),
              ops.scalar(LOWEST, 'lowest'),
            ])
          : input.name;
        const patches = windowsOf(
          ops,
          padded,
          channels,
          { kernel, strides, pads: [0, 0, 0, 0] },
          context.groupedWindows,
        );
        const windows = ops.reshape(patches, [0, channels, taps, -1]);
        const maxima = ops.cast(
          ops.node('Equal', [windows, ops.reshape(output, [0, channels, 1, -1])]),
          'float32',
        );
        const first = ops.node('Relu', [
          ops.sub(maxima, ops.node('MatMul', [earlierOnes(ops, taps), maxima])),
        ]);
        const routed = ops.mul(first, ops.reshape(gradient, [0, channels, 1, -1]));
        const shares = ops.reshape(routed, [0, channels * taps, outHeight, outWidth]);
        return [
          addWindowsBack(
            ops,
            shares,
            channels,
            { kernel, strides, pads },
            outputPadding(geometry),
            height,
            width,
          ),
        ];
      },
    };
  },
};
