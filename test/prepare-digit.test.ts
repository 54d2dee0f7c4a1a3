import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { prepareDigit } from '@cnnx/data';
import { Classifier } from '@cnnx/runtime';
import sharp from 'sharp';
import { quickstartRun } from './helpers/model.js';

/** A digit printed dark on light paper, far larger than MNIST's and away from the centre. */
function photoOfDigit(digit: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="420" height="360">
  <rect width="100%" height="100%" fill="#f2ede0"/>
  <text x="${40 + digit * 7}" y="${330 - digit * 5}" font-family="DejaVu Sans" font-size="300" fill="#1e1e1e">${digit}</text>
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function centreOfMass(pixels: Uint8Array): [number, number] {
  let mass = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i]!;
    mass += value;
    x += value * ((i % 28) + 0.5);
    y += value * (Math.floor(i / 28) + 0.5);
  }
  return [x / mass, y / mass];
}

/** Width and height of the box holding every non-zero pixel of a 28×28 image. */
function inkBox(pixels: Uint8Array): { width: number; height: number } {
  let left = 28;
  let right = -1;
  let top = 28;
  let bottom = -1;
  pixels.forEach((value, i) => {
    if (value === 0) return;
    const x = i % 28;
    const y = Math.floor(i / 28);
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
  });
  return { width: right - left + 1, height: bottom - top + 1 };
}

describe('a photo of a digit on paper, prepared as MNIST was, classified by the quickstart model', () => {
  let classifier: Classifier;
  const photos: Buffer[] = [];

  before(async () => {
    const run = await quickstartRun();
    classifier = await Classifier.load(join(run, 'model.onnx'), { device: 'cpu' });
    for (let digit = 0; digit < 10; digit++) photos.push(await photoOfDigit(digit));
  });

  test('prepareDigit inverts the ink, centres its mass and fits it in 20×20', async () => {
    for (const [digit, photo] of photos.entries()) {
      const prepared = await prepareDigit(photo);
      assert.equal(prepared.inverted, true, `${digit}: dark ink on light paper is inverted`);
      assert.equal(prepared.pixels.length, 28 * 28);
      const [x, y] = centreOfMass(prepared.pixels);
      assert.ok(Math.abs(x - 14) <= 1 && Math.abs(y - 14) <= 1, `${digit}: centre of mass (${x}, ${y})`);
      const box = inkBox(prepared.pixels);
      assert.ok(
        box.width <= 20 && box.height <= 20,
        `${digit}: ink box ${box.width}×${box.height} fits 20×20`,
      );
      // the corners are background (dark) after preparation
      assert.equal(prepared.pixels[0], 0);
      assert.equal(prepared.pixels[783], 0);
    }
  });

  test('at least 9 of the 10 digits are classified correctly', async () => {
    const results = await classifier.classify(photos);
    const predicted = results.map((result) => result.label);
    const correct = predicted.filter((label, digit) => label === String(digit)).length;
    assert.ok(correct >= 9, `predicted ${predicted.join(' ')} for 0-9: ${correct}/10 correct`);
  });
});
