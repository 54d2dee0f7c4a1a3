import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  type CleanedPage,
  cleanPage,
  type PageImage,
  prepareDigitImage,
  prepareDigitPixels,
} from '../src/index.js';
import { centreOfMass } from './digit-fixtures.js';

const WIDTH = 320;
const HEIGHT = 240;

/** A seven as two pen strokes (bar, then the downstroke), centred near (160, 120). */
const SEVEN = 'M 125 70 L 200 70 L 150 175';
/** A five: its body, and its hat as a separate stroke (not touching). */
const FIVE_BODY = 'M 135 75 L 132 118 C 160 100 195 115 190 145 C 185 178 150 182 128 168';
const FIVE_HAT = 'M 143 70 L 190 70';

/** An SVG page rendered to RGB pixels: `body` is drawn on paper of colour `paper`. */
async function page(body: string, paper = '#f3efe4'): Promise<PageImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">
  <rect width="100%" height="100%" fill="${paper}"/>${body}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { pixels: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
}

function stroke(path: string, colour: string, width = 9): string {
  return `<path d="${path}" fill="none" stroke="${colour}" stroke-width="${width}" stroke-linecap="round" stroke-linejoin="round"/>`;
}

function ruledLines(spacing: number, colour: string, thickness = 2): string {
  let lines = '';
  for (let y = spacing / 2; y < HEIGHT; y += spacing) {
    lines += `<line x1="0" y1="${y}" x2="${WIDTH}" y2="${y}" stroke="${colour}" stroke-width="${thickness}"/>`;
  }
  return lines;
}

/** Multiplies every pixel by `light(x, y)` and adds seeded noise of ±`noise` levels. */
function light(image: PageImage, level: (x: number, y: number) => number, noise = 0): PageImage {
  const pixels = new Uint8Array(image.pixels.length);
  let state = 12345;
  for (let y = 0; y < image.height; y += 1) {
    for (let x = 0; x < image.width; x += 1) {
      for (let c = 0; c < image.channels; c += 1) {
        const index = (y * image.width + x) * image.channels + c;
        state = (state * 1103515245 + 12345) >>> 0;
        const jitter = ((state >>> 16) / 65536 - 0.5) * 2 * noise;
        pixels[index] = Math.max(0, Math.min(255, Math.round(image.pixels[index]! * level(x, y) + jitter)));
      }
    }
  }
  return { ...image, pixels };
}

function assertSameBox(found: CleanedPage, reference: CleanedPage, tolerance: number, what: string): void {
  assert.ok(found.box && reference.box, `${what}: a digit was found`);
  for (const side of ['left', 'top', 'width', 'height'] as const) {
    assert.ok(
      Math.abs(found.box[side] - reference.box[side]) <= tolerance,
      `${what}: box ${JSON.stringify(found.box)}, on plain paper ${JSON.stringify(reference.box)}`,
    );
  }
}

/** How many of the 784 pixels agree on ink (> 127) or not. */
function agreement(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let i = 0; i < 784; i += 1) if (a[i]! > 127 === b[i]! > 127) same += 1;
  return same / 784;
}

describe('cleanPage', () => {
  it('finds blue ink on blue ruled lines with a red margin, and drops the lines', async () => {
    const plain = cleanPage(await page(stroke(SEVEN, '#1d2f8c')));
    const ruled = await page(
      ruledLines(40, '#6f93d6', 2.5) +
        '<line x1="60" y1="0" x2="60" y2="240" stroke="#e0525a" stroke-width="3"/>' +
        stroke(SEVEN, '#1d2f8c'),
    );
    const cleaned = cleanPage(ruled, { keepPage: true });
    assert.equal(cleaned.inverted, true);
    assertSameBox(cleaned, plain, 3, 'ruled paper');
    // the ruled line at y = 100 and the margin, far from the digit: no ink left, drawn light as dropped
    for (const [x, y] of [
      [20, 100],
      [290, 100],
      [60, 220],
    ] as const) {
      assert.equal(cleaned.ink[y * WIDTH + x], 0, `ink at (${x}, ${y})`);
      assert.ok(cleaned.page && cleaned.page[y * WIDTH + x]! > 150, `dropped mark at (${x}, ${y}) is light`);
    }
    // the digit itself is dark on the cleaned page
    assert.ok(cleaned.page && cleaned.page[70 * WIDTH + 160]! < 80, 'the bar of the 7 is dark');
  });

  it('mends a stroke that crosses printed lines: the stroke stays whole', async () => {
    const bar = stroke('M 160 50 L 160 190', '#222222', 8);
    const cleaned = cleanPage(await page(ruledLines(40, '#5d7fc4', 3) + bar));
    assert.ok(cleaned.box, 'found the stroke');
    assert.ok(Math.abs(cleaned.box.top - 46) <= 2 && Math.abs(cleaned.box.height - 148) <= 4);
    for (let y = 52; y <= 188; y += 1) {
      assert.ok(cleaned.ink[y * WIDTH + 160]! > 0.5, `the stroke is cut at y = ${y}`);
    }
  });

  it('removes squared paper seen askew, with the digit small in a large frame', async () => {
    let grid = '';
    for (let at = -200; at < 600; at += 16) {
      grid += `<line x1="${at}" y1="-200" x2="${at}" y2="500" stroke="#9fb0c8" stroke-width="1.2"/>`;
      grid += `<line x1="-200" y1="${at}" x2="600" y2="${at}" stroke="#9fb0c8" stroke-width="1.2"/>`;
    }
    const small = `<g transform="translate(120 95) scale(0.35) translate(-125 -70)">${stroke(SEVEN, '#111111', 14)}</g>`;
    const plain = cleanPage(await page(small));
    const squared = cleanPage(await page(`<g transform="rotate(4 160 120)">${grid}</g>${small}`));
    assertSameBox(squared, plain, 2, 'squared paper');
    assert.ok(squared.box && squared.box.height < 50, `a small digit: ${JSON.stringify(squared.box)}`);
  });

  it('evens out a shadow across the page and keeps faint pencil', async () => {
    const pencil = await page(stroke(SEVEN, '#b9b5ab', 5), '#ece8dd');
    const plain = cleanPage(pencil);
    // a soft shadow whose edge crosses the digit: half the light on the right
    const shadowed = light(pencil, (x) => 1 - 0.5 / (1 + Math.exp(-(x - 170) / 12)), 4);
    const cleaned = cleanPage(shadowed);
    assert.equal(cleaned.inverted, true, 'the shadow does not flip the polarity');
    assertSameBox(cleaned, plain, 4, 'shadow');
    let shadowInk = 0;
    for (let y = 0; y < HEIGHT; y += 1)
      for (let x = 230; x < WIDTH; x += 1) shadowInk += cleaned.ink[y * WIDTH + x]!;
    assert.equal(shadowInk, 0, 'no ink in the shadow beside the digit');
  });

  it('reads coloured ink by its colour: yellow ink is as clear as black', async () => {
    const black = prepareDigitImage(await page(stroke(SEVEN, '#111111'), '#ffffff'));
    const yellow = prepareDigitImage(await page(stroke(SEVEN, '#f0c800'), '#ffffff'));
    assert.ok(agreement(yellow.pixels, black.pixels) > 0.95, 'the same 28×28 digit');
    assert.ok(Math.max(...yellow.pixels) === 255);
  });

  it("keeps a 5's separate hat, drops specks, a far mark and the desk at the frame's edge", async () => {
    const five = stroke(FIVE_BODY, '#1a1a1a') + stroke(FIVE_HAT, '#1a1a1a');
    const plain = cleanPage(await page(five));
    const busy = await page(
      `<polygon points="0,150 0,240 90,240" fill="#4a3626"/>` +
        `<circle cx="40" cy="30" r="2" fill="#333"/><circle cx="270" cy="60" r="1.5" fill="#333"/>` +
        stroke('M 270 200 L 290 195', '#1a1a1a', 4) +
        five,
    );
    const cleaned = cleanPage(busy);
    assertSameBox(cleaned, plain, 2, 'busy page');
    assert.ok(cleaned.box && cleaned.box.top <= 67, 'the hat is in the box');
  });

  it('keeps a tall, thick stroke that spans the frame (a 1 on the demo pad), not a ruled line', () => {
    const pad = new Uint8Array(280 * 280);
    for (let y = 14; y < 266; y += 1) for (let x = 128; x < 152; x += 1) pad[y * 280 + x] = 255;
    const prepared = prepareDigitPixels(pad, 280, 280, { polarity: 'light-on-dark' });
    assert.ok(prepared.box, 'found the 1');
    assert.equal(prepared.box.height, 252);
    const [x, y] = centreOfMass(prepared.pixels);
    assert.ok(Math.abs(x - 14) <= 1 && Math.abs(y - 14) <= 1);
  });

  it('returns no box for a blank or evenly shaded page, and names bad arguments', async () => {
    assert.equal(cleanPage(await page('')).box, null);
    const shaded = light(await page(''), (x) => 0.5 + x / WIDTH / 2, 3);
    assert.equal(cleanPage(shaded, { keepPage: true }).box, null);
    assert.throws(
      () => prepareDigitImage({ pixels: new Uint8Array(8), width: 2, height: 2, channels: 2 as 1 }),
      /'channels' must be 1, 3 or 4, got 2/,
    );
    assert.throws(
      () => prepareDigitImage({ pixels: new Uint8Array(11), width: 2, height: 2, channels: 3 }),
      /'pixels' holds 11 values, expected 2×2×3 = 12/,
    );
  });
});
