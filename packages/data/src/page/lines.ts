/*
 * Ruled and squared paper: the printed lines (and a notebook's margin) are long, thin, nearly straight, and
 * run across the whole page; a digit's strokes are none of these at once. A pixel of the ink mask is taken
 * for a printed line when
 *   - it lies on a path through the mask that runs along the line's direction for most of the frame
 *     (a path opening: each step moves one cell along and at most one pixel across; steps are 4 pixels long,
 *     so the path may lean at most 1 in 4, about 14°, which covers a skewed photo but not a digit's curves;
 *     a step may jump a gap of up to 3 cells, where a faint line drops below the noise), and
 *   - the mask is thin across it there: no thicker than the lines at their thickest (the 90th percentile
 *     of the thickness on the long paths) plus a pixel, and never more than 3% of the frame.
 * Where a stroke crosses a line the mask is thick across, so the crossing stays and the stroke is not cut.
 * Horizontal lines go first; the vertical pass then sees the grid's crossings as parts of vertical lines.
 */

/** Along a horizontal path, this many pixels make one step. */
const STEP = 4;

/** A path may jump over this many empty steps. */
const GAP = 3;

/** Printed lines are at most this thick, as a fraction of the frame's shorter side. */
const MAX_THICKNESS = 0.03;

/**
 * Marks the pixels of `mask` (1 = ink) that belong to long thin horizontal or vertical lines: ruled lines,
 * squared paper's grid, a margin. `minLength` is the fraction of the frame's width (height) a horizontal
 * (vertical) line must span: printed lines run across the page, while even a tall 1 rarely spans three
 * quarters of the frame, and a line must also be thin, at most 3% of the frame's shorter side.
 * Returns a mask of the line pixels.
 *
 * @example
 * const lines = findRuledLines(mask, 256, 192);
 * // Uint8Array(49152): 1 on the ruled lines and the margin, 0 on the digit where it crosses them
 */
export function findRuledLines(
  mask: Uint8Array,
  width: number,
  height: number,
  minLength = 0.75,
): Uint8Array {
  const lines = new Uint8Array(width * height);
  const horizontal = linePixels(mask, width, height, 'horizontal', minLength);
  const remaining = new Uint8Array(mask);
  for (let i = 0; i < remaining.length; i += 1) {
    if (horizontal[i]) {
      remaining[i] = 0;
      lines[i] = 1;
    }
  }
  const vertical = linePixels(remaining, width, height, 'vertical', minLength);
  for (let i = 0; i < lines.length; i += 1) if (vertical[i]) lines[i] = 1;
  return lines;
}

function linePixels(
  mask: Uint8Array,
  width: number,
  height: number,
  direction: 'horizontal' | 'vertical',
  minLength: number,
): Uint8Array {
  // work on the horizontal case: a vertical pass reads the mask transposed
  const along = direction === 'horizontal' ? width : height;
  const across = direction === 'horizontal' ? height : width;
  // pixel (a along, c across) is at a * alongStride + c * acrossStride
  const alongStride = direction === 'horizontal' ? 1 : width;
  const acrossStride = direction === 'horizontal' ? width : 1;
  const steps = Math.ceil(along / STEP);
  const cells = new Uint8Array(steps * across);
  for (let c = 0; c < across; c += 1) {
    for (let a = 0; a < along; a += 1)
      if (mask[a * alongStride + c * acrossStride]) cells[c * steps + Math.floor(a / STEP)] = 1;
  }
  const forward = pathLengths(cells, steps, across, 1);
  const backward = pathLengths(cells, steps, across, -1);
  const longest = new Uint16Array(steps * across);
  const need = Math.max(3, Math.ceil((minLength * along) / STEP));
  let anyLong = false;
  for (let i = 0; i < longest.length; i += 1) {
    if (!cells[i]) continue;
    longest[i] = forward[i]! + backward[i]! - 1;
    if (longest[i]! >= need) anyLong = true;
  }
  const found = new Uint8Array(width * height);
  if (!anyLong) return found;

  // thickness across the line direction: the length of the run of mask pixels through each pixel
  const thickness = new Uint16Array(width * height);
  for (let a = 0; a < along; a += 1) {
    let c = 0;
    while (c < across) {
      if (!mask[a * alongStride + c * acrossStride]) {
        c += 1;
        continue;
      }
      let end = c;
      while (end < across && mask[a * alongStride + end * acrossStride]) end += 1;
      for (let k = c; k < end; k += 1) thickness[a * alongStride + k * acrossStride] = end - c;
      c = end;
    }
  }
  const histogram = new Uint32Array(across + 1);
  let count = 0;
  for (let c = 0; c < across; c += 1) {
    for (let a = 0; a < along; a += 1) {
      const index = a * alongStride + c * acrossStride;
      if (mask[index] && longest[c * steps + Math.floor(a / STEP)]! >= need) {
        histogram[thickness[index]!]! += 1;
        count += 1;
      }
    }
  }
  // as thick as the lines are at their thickest (the 90th percentile of the long paths), within the cap
  let thickest = 0;
  for (let seen = 0; thickest < across && seen + histogram[thickest]! <= 0.9 * count; thickest += 1)
    seen += histogram[thickest]!;
  const cap = Math.max(3, Math.round(MAX_THICKNESS * Math.min(width, height)));
  const thin = Math.min(cap, thickest + 1);
  for (let c = 0; c < across; c += 1) {
    for (let a = 0; a < along; a += 1) {
      const index = a * alongStride + c * acrossStride;
      if (mask[index] && thickness[index]! <= thin && longest[c * steps + Math.floor(a / STEP)]! >= need) {
        found[index] = 1;
      }
    }
  }
  return found;
}

/**
 * For each set cell, how many columns the longest path ending there spans, coming from the left
 * (`direction` 1) or the right (-1). Each step moves at most one row and may jump over up to `GAP` empty
 * columns (a faint stretch of a line, a JPEG block), which count in the span.
 */
function pathLengths(cells: Uint8Array, columns: number, rows: number, direction: 1 | -1): Uint16Array {
  const lengths = new Uint16Array(columns * rows);
  const first = direction === 1 ? 0 : columns - 1;
  for (let step = 0; step < columns; step += 1) {
    const column = first + direction * step;
    for (let row = 0; row < rows; row += 1) {
      const index = row * columns + column;
      if (!cells[index]) continue;
      let best = 0;
      for (let jump = 1; jump <= GAP + 1; jump += 1) {
        const previous = column - direction * jump;
        if (previous < 0 || previous >= columns) break;
        for (let r = Math.max(0, row - 1); r <= Math.min(rows - 1, row + 1); r += 1) {
          const length = lengths[r * columns + previous]!;
          if (length > 0) best = Math.max(best, length + jump - 1);
        }
      }
      lengths[index] = best + 1;
    }
  }
  return lengths;
}
