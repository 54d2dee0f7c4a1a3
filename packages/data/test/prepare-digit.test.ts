import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import {
  DatasetFormatError,
  loadDataset,
  prepareDigit,
  prepareDigitPixels,
  rgbaToGray,
} from '../src/index.js';
import { centreOfMass, digitSvg, nonZeroBox, renderDigit } from './digit-fixtures.js';

let folder = '';
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-prepare-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

function assertMnistLike(pixels: Uint8Array, what: string): void {
  assert.equal(pixels.length, 784, what);
  const [x, y] = centreOfMass(pixels);
  assert.ok(Math.abs(x - 14) <= 1 && Math.abs(y - 14) <= 1, `${what}: centre of mass (${x}, ${y})`);
  const box = nonZeroBox(pixels);
  assert.ok(box.width <= 20 && box.height <= 20, `${what}: ink box ${box.width}×${box.height}`);
  assert.ok(
    Math.max(box.width, box.height) === 20,
    `${what}: longest side ${Math.max(box.width, box.height)}`,
  );
  assert.equal(Math.max(...pixels), 255, `${what}: strongest ink`);
  // the corners are background
  for (const corner of [0, 27, 27 * 28, 783]) assert.equal(pixels[corner], 0, `${what}: corner ${corner}`);
}

describe('prepareDigit', () => {
  it('turns dark-on-light, off-centre, oversized renderings of 0-9 into MNIST-like 28×28 digits', async () => {
    for (let digit = 0; digit <= 9; digit += 1) {
      const png = await renderDigit(digit, 'png', { x: 20 + digit * 9, y: 300 + digit * 5 });
      const prepared = await prepareDigit(png);
      assert.equal(prepared.inverted, true, `digit ${digit}`);
      assert.ok(prepared.box && prepared.box.width > 60 && prepared.box.height > 150, `digit ${digit} box`);
      assertMnistLike(prepared.pixels, `digit ${digit}`);
    }
  });

  it('reads JPEG and WebP files and PNG with transparency (flattened on white)', async () => {
    for (const format of ['jpeg', 'webp'] as const) {
      const path = join(folder, `three.${format}`);
      await writeFile(path, await renderDigit(3, format));
      const prepared = await prepareDigit(path);
      assert.equal(prepared.inverted, true);
      assertMnistLike(prepared.pixels, format);
    }
    const transparent = await sharp(Buffer.from(digitSvg(4, { paper: 'none', ink: '#000' })))
      .png()
      .toBuffer();
    assert.equal((await sharp(transparent).metadata()).hasAlpha, true);
    const prepared = await prepareDigit(transparent);
    assert.equal(prepared.inverted, true);
    assertMnistLike(prepared.pixels, 'transparent PNG');
  });

  it('applies EXIF orientation before finding the digit', async () => {
    const upright = await renderDigit(1, 'png', { width: 300, height: 420, x: 60, y: 340 });
    // stored rotated a quarter turn anticlockwise, with orientation 6 telling viewers to turn it back
    const stored = await sharp(await sharp(upright).rotate(-90).png().toBuffer())
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toBuffer();
    assert.equal((await sharp(stored).metadata()).orientation, 6);
    const fromRotated = await prepareDigit(stored);
    const fromUpright = await prepareDigit(upright);
    assert.ok(fromRotated.box && fromUpright.box);
    assert.ok(Math.abs(fromRotated.box.height - fromUpright.box.height) <= 6, 'box height matches upright');
    assert.ok(Math.abs(fromRotated.box.width - fromUpright.box.width) <= 6, 'box width matches upright');
    let agree = 0;
    for (let i = 0; i < 784; i += 1) {
      if (fromRotated.pixels[i]! > 127 === fromUpright.pixels[i]! > 127) agree += 1;
    }
    assert.ok(agree / 784 > 0.95, `agreement with the upright digit ${agree / 784}`);
  });

  it('returns the decoded source and the cleaned page only when asked, at most workingSize on the longest side', async () => {
    const png = await renderDigit(4);
    const plain = await prepareDigit(png);
    assert.equal(plain.source, undefined);
    assert.equal(plain.page, undefined);
    const kept = await prepareDigit(png, { keepSource: true, keepPage: true, workingSize: 100 });
    assert.ok(kept.source && kept.page);
    assert.equal(Math.max(kept.source.width, kept.source.height), 100);
    // in colour, as decoded: light paper, dark ink
    assert.equal(kept.source.channels, 3);
    assert.equal(kept.source.pixels.length, kept.source.width * kept.source.height * 3);
    assert.ok(kept.source.pixels[0]! > 200);
    // the cleaned page: as large, white paper, the digit's ink dark inside its box
    assert.equal(kept.page.width, kept.source.width);
    assert.equal(kept.page.pixels.length, kept.page.width * kept.page.height);
    assert.equal(kept.page.pixels[0], 255);
    assert.ok(kept.box && Math.min(...kept.page.pixels) < 60);
  });

  it('refuses what is not an image, empty files, missing files and images over the pixel limit', async () => {
    const text = join(folder, 'notes.png');
    await writeFile(text, 'this is not an image');
    await assert.rejects(prepareDigit(text), (error: unknown) => {
      assert.ok(error instanceof DatasetFormatError);
      assert.match(error.message, /notes\.png: is not an image/);
      return true;
    });
    const empty = join(folder, 'empty.png');
    await writeFile(empty, '');
    await assert.rejects(prepareDigit(empty), /empty\.png: is empty/);
    await assert.rejects(prepareDigit(join(folder, 'nope.png')), /nope\.png: does not exist/);
    const big = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    await assert.rejects(
      prepareDigit(big, { maxPixels: 4_000_000 }),
      /9000000 pixels, over the limit of 4000000/,
    );
  });
});

describe('prepareDigitPixels', () => {
  it('leaves light-on-dark digits uninverted and keeps MNIST digits MNIST-like', async () => {
    const dataset = await loadDataset('mnist-sample');
    for (const index of [0, 1500, 5000, 9999]) {
      const original = dataset.images.slice(index * 784, (index + 1) * 784);
      const prepared = prepareDigitPixels(original, 28, 28);
      assert.equal(prepared.inverted, false);
      assertMnistLike(prepared.pixels, `mnist-sample #${index}`);
      // close to the original: MNIST digits already are what this preparation makes
      let agree = 0;
      for (let i = 0; i < 784; i += 1) if (original[i]! > 127 === prepared.pixels[i]! > 127) agree += 1;
      assert.ok(agree / 784 > 0.9, `#${index} agreement ${agree / 784}`);
    }
  });

  it('ignores uneven lighting and specks of noise', async () => {
    const width = 200;
    const height = 160;
    const { data } = await sharp(Buffer.from(digitSvg(5, { width, height, x: 100, y: 130, size: 120 })))
      .grayscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const gray = new Uint8Array(width * height);
    const clean = new Uint8Array(width * height);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const i = y * width + x;
        clean[i] = data[i]!;
        // paper darkens from 240 on the right to 140 on the left, the ink scales with it
        gray[i] = Math.round(data[i]! * (0.58 + (0.42 * x) / width));
      }
    }
    for (const [x, y] of [
      [10, 10],
      [20, 140],
      [180, 20],
    ] as const) {
      for (let dy = 0; dy < 3; dy += 1) for (let dx = 0; dx < 3; dx += 1) gray[(y + dy) * width + x + dx] = 0;
    }
    const noisy = prepareDigitPixels(gray, width, height);
    const reference = prepareDigitPixels(clean, width, height);
    assert.ok(noisy.box && reference.box);
    assert.ok(Math.abs(noisy.box.left - reference.box.left) <= 3, `box ${JSON.stringify(noisy.box)}`);
    assert.ok(Math.abs(noisy.box.width - reference.box.width) <= 6, `box ${JSON.stringify(noisy.box)}`);
    assertMnistLike(noisy.pixels, 'uneven lighting');
  });

  it('returns an empty image and no box for a blank page, and names bad arguments', () => {
    const blank = prepareDigitPixels(new Uint8Array(50 * 40).fill(230), 50, 40);
    assert.equal(blank.box, null);
    assert.equal(Math.max(...blank.pixels), 0);
    assert.throws(() => prepareDigitPixels(new Uint8Array(10), 4, 4), /'gray' holds 10 values, expected 4×4/);
    assert.throws(() => prepareDigitPixels(new Uint8Array(16), 4, 4, { fitSize: 40 }), /'fitSize'/);
  });

  it('converts RGBA with transparency to gray on white', () => {
    const rgba = new Uint8Array([0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
    assert.deepEqual([...rgbaToGray(rgba, 3, 1)], [0, 255, 255]);
  });
});
