import sharp from 'sharp';

/** An SVG of `digit` drawn dark on light paper, larger than MNIST and away from the centre. */
export function digitSvg(
  digit: number,
  { width = 420, height = 360, x = 40, y = 330, size = 300, ink = '#1e1e1e', paper = '#f2ede0' } = {},
): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="${paper}"/>
  <text x="${x}" y="${y}" font-family="DejaVu Sans" font-weight="bold" font-size="${size}" fill="${ink}">${digit}</text>
</svg>`;
}

/** The digit rendered by sharp from SVG text, encoded as `format`. */
export async function renderDigit(
  digit: number,
  format: 'png' | 'jpeg' | 'webp' = 'png',
  options: Parameters<typeof digitSvg>[1] = {},
): Promise<Buffer> {
  return sharp(Buffer.from(digitSvg(digit, options)))
    .toFormat(format)
    .toBuffer();
}

/** Centre of mass (x, y) in continuous pixel coordinates (pixel i spans [i, i + 1)). */
export function centreOfMass(pixels: Uint8Array, width = 28): [number, number] {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < pixels.length; i += 1) {
    const x = i % width;
    const y = (i - x) / width;
    mass += pixels[i]!;
    sumX += pixels[i]! * (x + 0.5);
    sumY += pixels[i]! * (y + 0.5);
  }
  return [sumX / mass, sumY / mass];
}

/** The box of the non-zero pixels. */
export function nonZeroBox(pixels: Uint8Array, width = 28): { width: number; height: number } {
  let left = width;
  let right = -1;
  let top = Number.POSITIVE_INFINITY;
  let bottom = -1;
  for (let i = 0; i < pixels.length; i += 1) {
    if (pixels[i] === 0) continue;
    const x = i % width;
    const y = (i - x) / width;
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
  }
  return { width: right - left + 1, height: bottom - top + 1 };
}
