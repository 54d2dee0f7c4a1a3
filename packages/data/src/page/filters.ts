/*
 * Small image filters on row-major Float32Arrays, each O(pixels) whatever the window: the building blocks of
 * the page cleaning. Windows are clamped at the image's edges (pixels outside are not there).
 */

/** A single-channel image of floats. */
export interface FloatImage {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * The maximum (or minimum) over a (2·radius + 1)² window at every pixel: separable, a monotonic queue per
 * row and column. Grey-level dilation (erosion) by a square.
 *
 * @example
 * squareExtreme({ data: Float32Array.of(0, 5, 0, 0), width: 4, height: 1 }, 1, 'max').data;
 * // Float32Array [5, 5, 5, 0]
 */
export function squareExtreme(image: FloatImage, radius: number, kind: 'max' | 'min'): FloatImage {
  const { width, height } = image;
  const rows = new Float32Array(width * height);
  const queue = new Int32Array(Math.max(width, height));
  for (let y = 0; y < height; y += 1) slide(image.data, rows, y * width, 1, width, radius, kind, queue);
  const out = new Float32Array(width * height);
  for (let x = 0; x < width; x += 1) slide(rows, out, x, width, height, radius, kind, queue);
  return { data: out, width, height };
}

/** Sliding maximum or minimum along one strided line (van Herk's bound with a monotonic deque). */
function slide(
  source: Float32Array,
  target: Float32Array,
  offset: number,
  stride: number,
  length: number,
  radius: number,
  kind: 'max' | 'min',
  queue: Int32Array,
): void {
  const sign = kind === 'max' ? 1 : -1;
  let head = 0;
  let tail = 0;
  let next = 0;
  for (let i = 0; i < length; i += 1) {
    const last = Math.min(length - 1, i + radius);
    for (; next <= last; next += 1) {
      const value = sign * source[offset + next * stride]!;
      while (tail > head && sign * source[offset + queue[tail - 1]! * stride]! <= value) tail -= 1;
      queue[tail++] = next;
    }
    while (queue[head]! < i - radius) head += 1;
    target[offset + i * stride] = source[offset + queue[head]! * stride]!;
  }
}

/**
 * The grey-level closing (dilation, then erosion) by a (2·radius + 1)² square, on the image extended by
 * `radius` copies of its edge pixels so that a gradient running into the edge stays as it is.
 *
 * @example
 * closing({ data: Float32Array.of(9, 9, 1, 9, 9), width: 5, height: 1 }, 1).data;
 * // Float32Array [9, 9, 9, 9, 9]: the dark pixel narrower than the window is gone
 */
export function closing(image: FloatImage, radius: number): FloatImage {
  const { width, height } = image;
  const paddedWidth = width + 2 * radius;
  const paddedHeight = height + 2 * radius;
  const padded = new Float32Array(paddedWidth * paddedHeight);
  for (let y = 0; y < paddedHeight; y += 1) {
    const sourceRow = Math.min(height - 1, Math.max(0, y - radius)) * width;
    for (let x = 0; x < paddedWidth; x += 1) {
      padded[y * paddedWidth + x] = image.data[sourceRow + Math.min(width - 1, Math.max(0, x - radius))]!;
    }
  }
  const closed = squareExtreme(
    squareExtreme({ data: padded, width: paddedWidth, height: paddedHeight }, radius, 'max'),
    radius,
    'min',
  );
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) {
    out.set(
      closed.data.subarray((y + radius) * paddedWidth + radius, (y + radius) * paddedWidth + radius + width),
      y * width,
    );
  }
  return { data: out, width, height };
}

/**
 * The mean over a (2·radius + 1)² window at every pixel (running sums, edges averaged over what is there).
 *
 * @example
 * boxBlur({ data: Float32Array.of(0, 3, 0), width: 3, height: 1 }, 1).data; // Float32Array [1.5, 1, 1.5]
 */
export function boxBlur(image: FloatImage, radius: number): FloatImage {
  const { width, height } = image;
  const rows = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) blurLine(image.data, rows, y * width, 1, width, radius);
  const out = new Float32Array(width * height);
  for (let x = 0; x < width; x += 1) blurLine(rows, out, x, width, height, radius);
  return { data: out, width, height };
}

function blurLine(
  source: Float32Array,
  target: Float32Array,
  offset: number,
  stride: number,
  length: number,
  radius: number,
): void {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < Math.min(length, radius); i += 1) {
    sum += source[offset + i * stride]!;
    count += 1;
  }
  for (let i = 0; i < length; i += 1) {
    const enter = i + radius;
    if (enter < length) {
      sum += source[offset + enter * stride]!;
      count += 1;
    }
    const leave = i - radius - 1;
    if (leave >= 0) {
      sum -= source[offset + leave * stride]!;
      count -= 1;
    }
    target[offset + i * stride] = sum / count;
  }
}

/**
 * One value per `cell × cell` block (the last blocks may be smaller): the blocks' means, or their maxima.
 * Channel `channel` of an interleaved image with `channels` values per pixel.
 *
 * @example
 * blockReduce(Uint8Array.of(2, 4, 6), 3, 1, 2); // { data: Float32Array [3, 6], width: 2, height: 1 }
 */
export function blockReduce(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  cell: number,
  options: { channels?: number; channel?: number; kind?: 'mean' | 'max' } = {},
): FloatImage {
  const { channels = 1, channel = 0, kind = 'mean' } = options;
  const columns = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const out = new Float32Array(columns * rows);
  const counts = new Float32Array(columns * rows);
  for (let y = 0; y < height; y += 1) {
    const row = Math.floor(y / cell) * columns;
    for (let x = 0; x < width; x += 1) {
      const index = row + Math.floor(x / cell);
      const value = pixels[(y * width + x) * channels + channel]!;
      if (kind === 'max') out[index] = Math.max(out[index]!, value);
      else {
        out[index]! += value;
        counts[index]! += 1;
      }
    }
  }
  if (kind === 'mean') for (let i = 0; i < out.length; i += 1) out[i]! /= counts[i]!;
  return { data: out, width: columns, height: rows };
}

/**
 * A block grid made by {@link blockReduce} back at full size: bilinear between the blocks' centres.
 *
 * @example
 * expandBlocks({ data: Float32Array.of(0, 4), width: 2, height: 1 }, 4, 1, 2); // Float32Array [0, 1, 3, 4]
 */
export function expandBlocks(grid: FloatImage, width: number, height: number, cell: number): Float32Array {
  const out = new Float32Array(width * height);
  const xs = interpolationTaps(width, grid.width, cell);
  const ys = interpolationTaps(height, grid.height, cell);
  for (let y = 0; y < height; y += 1) {
    const r0 = ys.low[y]! * grid.width;
    const r1 = ys.high[y]! * grid.width;
    const wy = ys.weight[y]!;
    for (let x = 0; x < width; x += 1) {
      const c0 = xs.low[x]!;
      const c1 = xs.high[x]!;
      const wx = xs.weight[x]!;
      const top = grid.data[r0 + c0]! * (1 - wx) + grid.data[r0 + c1]! * wx;
      const bottom = grid.data[r1 + c0]! * (1 - wx) + grid.data[r1 + c1]! * wx;
      out[y * width + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

function interpolationTaps(
  size: number,
  cells: number,
  cell: number,
): { low: Int32Array; high: Int32Array; weight: Float32Array } {
  const low = new Int32Array(size);
  const high = new Int32Array(size);
  const weight = new Float32Array(size);
  for (let i = 0; i < size; i += 1) {
    const position = Math.min(cells - 1, Math.max(0, (i + 0.5) / cell - 0.5));
    low[i] = Math.floor(position);
    high[i] = Math.min(cells - 1, low[i]! + 1);
    weight[i] = position - low[i]!;
  }
  return { low, high, weight };
}

/**
 * The value below which `fraction` of `values` lie, for values from 0 to 1 (a 1024-bin histogram), over
 * the pixels flagged in `only` when given.
 *
 * @example
 * quantile(Float32Array.of(0.1, 0.2, 0.9), 0.5); // 0.2 (to within a bin, 1/1024)
 */
export function quantile(values: ArrayLike<number>, fraction: number, only?: Uint8Array): number {
  const bins = 1024;
  const histogram = new Uint32Array(bins);
  let count = 0;
  for (let i = 0; i < values.length; i += 1) {
    if (only && !only[i]) continue;
    histogram[Math.min(bins - 1, Math.max(0, Math.floor(values[i]! * bins)))]! += 1;
    count += 1;
  }
  if (count === 0) return 0;
  const target = fraction * (count - 1);
  let seen = 0;
  for (let bin = 0; bin < bins; bin += 1) {
    seen += histogram[bin]!;
    if (seen > target) return (bin + 0.5) / bins;
  }
  return 1;
}
