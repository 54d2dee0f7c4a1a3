import sharp from 'sharp';

/**
 * The seeded generator the drawing takes (`@cnnx/data`'s `createRandom(seed)` fits). Declared here, not
 * imported, because @cnnx/data's own tests use this workspace: a dependency back on it would be a cycle.
 */
export interface Random {
  next(): number;
  integer(limit: number): number;
  uniform(low: number, high: number): number;
  shuffle<T extends { length: number; [index: number]: number }>(values: T): T;
}

/*
 * Photos of handwritten digits on real paper, made from MNIST digits the quickstart model never trained on:
 * the 28×28 digit is upsampled and rendered as ink strokes onto a synthetic page (paper colour and grain,
 * printed ruled or squared lines, ink or pencil), lit (a lamp's fall-off, a shadow), optionally seen in
 * perspective, then given camera noise and JPEG compression. All on plain typed arrays; sharp only encodes.
 */

/** The kinds of page the set covers (issue #19). */
export type PaperCondition = 'ruled' | 'pencil-shadow' | 'squared-skewed' | 'plain';

/** Every condition, in the order the tests report them. */
export const PAPER_CONDITIONS: readonly PaperCondition[] = [
  'ruled',
  'pencil-shadow',
  'squared-skewed',
  'plain',
];

/** What each condition shows, in the words of the issue. */
export const PAPER_CONDITION_TITLES: Readonly<Record<PaperCondition, string>> = {
  ruled: 'ruled paper with blue lines, a red margin and blue ink',
  'pencil-shadow': 'faint grey pencil with a shadow gradient across the page',
  'squared-skewed': 'squared paper, skewed by a small perspective, the digit small in a large frame',
  plain: 'dark ink on white paper',
};

/** An RGB image: 3 bytes per pixel, row-major. */
export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** One generated photo: the JPEG as a camera would save it, and the digit it shows. */
export interface PaperPhoto {
  condition: PaperCondition;
  /** The digit's class, 0-9. */
  label: number;
  /** Index of the source digit in mnist-sample's held-out part. */
  heldOutIndex: number;
  jpeg: Buffer;
  width: number;
  height: number;
}

const WIDTH = 640;
const HEIGHT = 480;

type Colour = readonly [number, number, number];

/**
 * Draws one 28×28 MNIST digit (bright ink on black, 0-255) as a photo of it written on paper of the given
 * kind. Deterministic for a given `random` state. The image is 640×480 RGB, before noise and JPEG.
 *
 * @example
 * const photo = drawPaperPhoto(digit, 'ruled', createRandom(1));
 * // { rgb: Uint8Array(921600), width: 640, height: 480 }
 */
export function drawPaperPhoto(digit: Uint8Array, condition: PaperCondition, random: Random): RgbImage {
  if (digit.length !== 784) throw new RangeError(`'digit' must hold 28×28 = 784 values, got ${digit.length}`);
  const width = WIDTH;
  const height = HEIGHT;
  const small = condition === 'squared-skewed';
  const digitHeight = (small ? random.uniform(0.13, 0.19) : random.uniform(0.36, 0.55)) * height;
  const centreX = width * random.uniform(small ? 0.3 : 0.4, small ? 0.7 : 0.62);
  const centreY = height * random.uniform(0.4, 0.6);

  const paperColour: Colour =
    condition === 'plain'
      ? [random.uniform(0.93, 0.97), random.uniform(0.93, 0.97), random.uniform(0.92, 0.96)]
      : [random.uniform(0.9, 0.96), random.uniform(0.88, 0.94), random.uniform(0.8, 0.9)];
  const page = paper(width, height, paperColour, random);

  if (condition === 'ruled') {
    const spacing = digitHeight * random.uniform(0.42, 0.6);
    const lineBlue: Colour = [
      random.uniform(0.3, 0.45),
      random.uniform(0.5, 0.62),
      random.uniform(0.8, 0.92),
    ];
    const thickness = random.uniform(1.5, 2.6);
    for (let y = random.uniform(0, spacing); y < height; y += spacing) {
      drawLine(page, width, height, 'horizontal', y, thickness, lineBlue);
    }
    const margin = centreX - digitHeight * 0.5 - width * random.uniform(0.06, 0.2);
    const red: Colour = [0.9, random.uniform(0.25, 0.4), random.uniform(0.25, 0.4)];
    drawLine(page, width, height, 'vertical', Math.max(8, margin), random.uniform(2, 3.5), red);
  } else if (condition === 'squared-skewed') {
    const spacing = digitHeight * random.uniform(0.3, 0.45);
    const grid: Colour = [random.uniform(0.62, 0.75), random.uniform(0.7, 0.8), random.uniform(0.78, 0.88)];
    const thickness = random.uniform(0.9, 1.4);
    for (let y = random.uniform(0, spacing); y < height; y += spacing)
      drawLine(page, width, height, 'horizontal', y, thickness, grid);
    for (let x = random.uniform(0, spacing); x < width; x += spacing)
      drawLine(page, width, height, 'vertical', x, thickness, grid);
  }

  const pencil = condition === 'pencil-shadow';
  const ink: Colour = pencil
    ? [0.38, 0.38, 0.4]
    : condition === 'ruled'
      ? [random.uniform(0.12, 0.25), random.uniform(0.18, 0.32), random.uniform(0.55, 0.7)]
      : condition === 'plain'
        ? [0.09, 0.09, 0.1]
        : random.next() < 0.5
          ? [0.1, 0.1, 0.12]
          : [0.14, 0.2, 0.55];
  drawDigitInk(page, width, height, digit, {
    centreX,
    centreY,
    digitHeight,
    ink,
    // where the stroke's edge falls on the upsampled digit: higher is a thinner pen
    edge: pencil ? random.uniform(0.5, 0.65) : random.uniform(0.3, 0.5),
    strength: pencil ? random.uniform(0.5, 0.75) : random.uniform(0.8, 1),
    grain: pencil ? 0.45 : 0.08,
    random,
  });

  const frame = small ? perspective(page, width, height, random) : page;
  const light = lighting(width, height, condition, random);
  const noise = random.uniform(2, 5) / 255;
  const exposure = random.uniform(0.95, 1.05);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i += 1) {
    const level = light[i]! * exposure;
    for (let c = 0; c < 3; c += 1) {
      const tint = c === 2 ? 0.93 : c === 1 ? 0.98 : 1; // a warm desk lamp
      const value = frame[i * 3 + c]! * level * tint + sensorNoise(random) * noise;
      rgb[i * 3 + c] = Math.round(255 * Math.min(1, Math.max(0, value)));
    }
  }
  return { rgb, width, height };
}

/**
 * Makes the generated test set: `perCondition` digits for each condition from mnist-sample's held-out part
 * (the quickstart's seeded 15%, never trained on), spread evenly over the classes, each drawn on paper,
 * with camera noise, and saved as JPEG (quality 60-85). The same seed of `random` gives the same set.
 *
 * @example
 * const heldOut = await loadDataset('mnist-sample', { split: 'test' });
 * const photos = await paperPhotoSet({ heldOut, random: createRandom(19), perCondition: 50 });
 * // 200 × { condition: 'ruled', label: 7, heldOutIndex: 12, jpeg: <Buffer ff d8 …>, width: 640, height: 480 }
 */
export async function paperPhotoSet({
  heldOut,
  random,
  perCondition = 50,
  conditions = PAPER_CONDITIONS,
}: {
  /** mnist-sample's held-out digits: `loadDataset('mnist-sample', { split: 'test' })`. */
  heldOut: { images: Uint8Array; labels: Uint8Array };
  /** The seeded generator every draw comes from: `createRandom(19)`. */
  random: Random;
  perCondition?: number;
  conditions?: readonly PaperCondition[];
}): Promise<PaperPhoto[]> {
  if (!Number.isInteger(perCondition) || perCondition < 1) {
    throw new RangeError(`'perCondition' must be a positive integer, got ${perCondition}`);
  }
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  heldOut.labels.forEach((label, index) => {
    byClass[label]?.push(index);
  });
  for (const members of byClass) random.shuffle(members);
  const taken = new Array<number>(10).fill(0);
  const photos: PaperPhoto[] = [];
  for (const condition of conditions) {
    for (let i = 0; i < perCondition; i += 1) {
      const label = i % 10;
      const members = byClass[label]!;
      const heldOutIndex = members[taken[label]!++ % members.length]!;
      const digit = heldOut.images.subarray(heldOutIndex * 784, (heldOutIndex + 1) * 784);
      const image = drawPaperPhoto(digit, condition, random);
      const jpeg = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
        .jpeg({ quality: Math.round(random.uniform(60, 85)) })
        .toBuffer();
      photos.push({ condition, label, heldOutIndex, jpeg, width: image.width, height: image.height });
    }
  }
  return photos;
}

/** Paper of `colour` with a faint fibrous grain, as reflectances (0-1), RGB. */
function paper(width: number, height: number, colour: Colour, random: Random): Float32Array {
  const page = new Float32Array(width * height * 3);
  const grain = smoothNoise(width, height, 6, random);
  for (let i = 0; i < width * height; i += 1) {
    const shade = 1 + 0.025 * grain[i]!;
    for (let c = 0; c < 3; c += 1) page[i * 3 + c] = colour[c]! * shade;
  }
  return page;
}

/** Prints an anti-aliased straight line across the whole page (multiplies the paper by the line's colour). */
function drawLine(
  page: Float32Array,
  width: number,
  height: number,
  direction: 'horizontal' | 'vertical',
  at: number,
  thickness: number,
  colour: Colour,
): void {
  const across = direction === 'horizontal' ? height : width;
  const along = direction === 'horizontal' ? width : height;
  for (let offset = Math.floor(at - thickness); offset <= Math.ceil(at + thickness); offset += 1) {
    if (offset < 0 || offset >= across) continue;
    const cover = Math.min(1, Math.max(0, thickness / 2 + 0.5 - Math.abs(offset + 0.5 - at)));
    if (cover === 0) continue;
    for (let position = 0; position < along; position += 1) {
      const index = direction === 'horizontal' ? offset * width + position : position * width + offset;
      for (let c = 0; c < 3; c += 1) page[index * 3 + c]! *= 1 - cover * (1 - colour[c]!);
    }
  }
}

/**
 * Writes the digit as ink: its 28×28 grid is upsampled with a cubic kernel, and the stroke's edge is put
 * where the smooth surface crosses `edge`, giving crisp pen-like outlines instead of enlarged pixels.
 */
function drawDigitInk(
  page: Float32Array,
  width: number,
  height: number,
  digit: Uint8Array,
  options: {
    centreX: number;
    centreY: number;
    digitHeight: number;
    ink: Colour;
    edge: number;
    strength: number;
    grain: number;
    random: Random;
  },
): void {
  const { centreX, centreY, digitHeight, ink, edge, strength, grain, random } = options;
  // MNIST digits fill 20 of their 28 pixels
  const scale = digitHeight / 20;
  const left = centreX - 14 * scale;
  const top = centreY - 14 * scale;
  const pressure = smoothNoise(width, height, Math.max(8, digitHeight / 3), random);
  const softness = Math.max(0.04, 0.9 / scale);
  const x0 = Math.max(0, Math.floor(left));
  const x1 = Math.min(width, Math.ceil(left + 28 * scale));
  const y0 = Math.max(0, Math.floor(top));
  const y1 = Math.min(height, Math.ceil(top + 28 * scale));
  // the cubic kernel is separable: upsample the rows first, then each output column
  const columns = cubicTaps(x0, x1, left, scale);
  const rows = cubicTaps(y0, y1, top, scale);
  const wide = new Float32Array(28 * (x1 - x0));
  for (let row = 0; row < 28; row += 1) {
    for (let x = x0; x < x1; x += 1) {
      let sum = 0;
      for (const [column, weight] of columns[x - x0]!) sum += digit[row * 28 + column]! * weight;
      wide[row * (x1 - x0) + x - x0] = sum;
    }
  }
  for (let y = y0; y < y1; y += 1) {
    const taps = rows[y - y0]!;
    for (let x = x0; x < x1; x += 1) {
      let value = 0;
      for (const [row, weight] of taps) value += wide[row * (x1 - x0) + x - x0]! * weight;
      const cover = smoothstep(edge - softness, edge + softness, value / 255);
      if (cover <= 0) continue;
      const index = y * width + x;
      const texture = 1 - grain * random.next();
      const alpha = Math.min(1, cover * strength * texture * (1 + 0.15 * pressure[index]!));
      for (let c = 0; c < 3; c += 1) page[index * 3 + c]! *= 1 - alpha * (1 - ink[c]!);
    }
  }
}

/** For output pixels `from`..`to` of a 28-pixel axis placed at `start` and scaled by `scale`: the Catmull-Rom taps. */
function cubicTaps(from: number, to: number, start: number, scale: number): [number, number][][] {
  const taps: [number, number][][] = [];
  for (let out = from; out < to; out += 1) {
    const position = (out + 0.5 - start) / scale - 0.5;
    const first = Math.floor(position) - 1;
    const cell: [number, number][] = [];
    for (let source = first; source < first + 4; source += 1) {
      if (source >= 0 && source < 28) cell.push([source, catmullRom(position - source)]);
    }
    taps.push(cell);
  }
  return taps;
}

/**
 * The page seen by a camera held slightly askew: a homography moves each corner of the frame by a few
 * percent; where the frame looks past the page's edge, a dark desk shows.
 */
function perspective(page: Float32Array, width: number, height: number, random: Random): Float32Array {
  const jitter = () => random.uniform(-0.035, 0.035);
  const corners: [number, number][] = [
    [0, 0],
    [width, 0],
    [width, height],
    [0, height],
  ];
  const pageCorners = corners.map(([x, y]): [number, number] => [
    x + (jitter() + (x === 0 ? 0.045 : -0.045)) * width,
    y + (jitter() + (y === 0 ? 0.045 : -0.045)) * height,
  ]);
  // one image in three looks a little past one corner of the page
  if (random.next() < 0.35) {
    const corner = random.integer(4);
    const [cx, cy] = pageCorners[corner]!;
    pageCorners[corner] = [
      cx + (corner === 0 || corner === 3 ? -1 : 1) * 0.12 * width,
      cy + (corner < 2 ? -1 : 1) * 0.12 * height,
    ];
  }
  const toPage = homography(corners, pageCorners);
  const desk: Colour = [0.32, 0.24, 0.17];
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const w = toPage[6]! * (x + 0.5) + toPage[7]! * (y + 0.5) + 1;
      const u = (toPage[0]! * (x + 0.5) + toPage[1]! * (y + 0.5) + toPage[2]!) / w - 0.5;
      const v = (toPage[3]! * (x + 0.5) + toPage[4]! * (y + 0.5) + toPage[5]!) / w - 0.5;
      const index = (y * width + x) * 3;
      if (u < 0 || v < 0 || u > width - 1 || v > height - 1) {
        for (let c = 0; c < 3; c += 1) out[index + c] = desk[c]!;
        continue;
      }
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const x1 = Math.min(width - 1, x0 + 1);
      const y1 = Math.min(height - 1, y0 + 1);
      const fx = u - x0;
      const fy = v - y0;
      for (let c = 0; c < 3; c += 1) {
        const top = page[(y0 * width + x0) * 3 + c]! * (1 - fx) + page[(y0 * width + x1) * 3 + c]! * fx;
        const bottom = page[(y1 * width + x0) * 3 + c]! * (1 - fx) + page[(y1 * width + x1) * 3 + c]! * fx;
        out[index + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/** The 3×3 homography (h22 = 1, 8 values) taking the four `from` points to the four `to` points. */
function homography(from: [number, number][], to: [number, number][]): number[] {
  const rows: number[][] = [];
  for (let i = 0; i < 4; i += 1) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gauss-Jordan elimination with partial pivoting on the 8×9 augmented matrix
  for (let column = 0; column < 8; column += 1) {
    let pivot = column;
    for (let row = column + 1; row < 8; row += 1) {
      if (Math.abs(rows[row]![column]!) > Math.abs(rows[pivot]![column]!)) pivot = row;
    }
    [rows[column], rows[pivot]] = [rows[pivot]!, rows[column]!];
    const lead = rows[column]!;
    const divisor = lead[column]!;
    for (let k = column; k < 9; k += 1) lead[k]! /= divisor;
    for (let row = 0; row < 8; row += 1) {
      if (row === column) continue;
      const factor = rows[row]![column]!;
      for (let k = column; k < 9; k += 1) rows[row]![k]! -= factor * lead[k]!;
    }
  }
  return rows.map((row) => row[8]!);
}

/**
 * How brightly each pixel is lit: a desk lamp's fall-off from a point off the page, and for the pencil a
 * shadow whose soft edge crosses the page.
 */
function lighting(width: number, height: number, condition: PaperCondition, random: Random): Float32Array {
  const light = new Float32Array(width * height);
  const lampX = width * random.uniform(-0.3, 1.3);
  const lampY = height * random.uniform(-0.5, 0);
  const falloff = condition === 'plain' ? random.uniform(0.05, 0.2) : random.uniform(0.1, 0.3);
  const diagonal = Math.hypot(width, height);
  const shadow = condition === 'pencil-shadow';
  const angle = random.uniform(0, 2 * Math.PI);
  const normalX = Math.cos(angle);
  const normalY = Math.sin(angle);
  // the shadow's edge passes through a point in the middle half of the page
  const edgeX = width * random.uniform(0.25, 0.75);
  const edgeY = height * random.uniform(0.25, 0.75);
  const depth = random.uniform(0.35, 0.55);
  const softness = width * random.uniform(0.04, 0.15);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let level = 1 - (falloff * Math.hypot(x - lampX, y - lampY)) / diagonal;
      if (shadow) {
        const distance = (x - edgeX) * normalX + (y - edgeY) * normalY;
        level *= 1 - depth / (1 + Math.exp(-distance / softness));
      }
      light[y * width + x] = level;
    }
  }
  return light;
}

/** Smooth value noise in about [-1, 1]: random values on a grid `cell` pixels apart, interpolated. */
function smoothNoise(width: number, height: number, cell: number, random: Random): Float32Array {
  const columns = Math.ceil(width / cell) + 2;
  const rows = Math.ceil(height / cell) + 2;
  const grid = Float32Array.from({ length: columns * rows }, () => random.uniform(-1, 1));
  const noise = new Float32Array(width * height);
  for (let y = 0; y < height; y += 1) {
    const gy = y / cell;
    const r = Math.floor(gy);
    const fy = smoothstep(0, 1, gy - r);
    for (let x = 0; x < width; x += 1) {
      const gx = x / cell;
      const c = Math.floor(gx);
      const fx = smoothstep(0, 1, gx - c);
      const top = grid[r * columns + c]! * (1 - fx) + grid[r * columns + c + 1]! * fx;
      const bottom = grid[(r + 1) * columns + c]! * (1 - fx) + grid[(r + 1) * columns + c + 1]! * fx;
      noise[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return noise;
}

function catmullRom(distance: number): number {
  const t = Math.abs(distance);
  if (t < 1) return (1.5 * t - 2.5) * t * t + 1;
  if (t < 2) return ((-0.5 * t + 2.5) * t - 4) * t + 2;
  return 0;
}

function smoothstep(low: number, high: number, value: number): number {
  const t = Math.min(1, Math.max(0, (value - low) / (high - low)));
  return t * t * (3 - 2 * t);
}

/** Sensor noise with unit variance (uniform: as good as normal here, and a quarter of the cost). */
function sensorNoise(random: Random): number {
  return (random.next() - 0.5) * Math.sqrt(12);
}
