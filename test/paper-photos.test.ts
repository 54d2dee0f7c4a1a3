/**
 * Issue #19: digits photographed on real paper. The generated set (@cnnx/testing's paperPhotoSet: held-out
 * mnist-sample digits drawn as ink on ruled, squared, shadowed and plain pages, with noise and JPEG) is
 * prepared by prepareDigit and read by the quickstart model; `cnnx predict --report` shows the cleaned page.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRandom, type Dataset, loadDataset, prepareDigit, prepareDigitImage } from '@cnnx/data';
import { Classifier } from '@cnnx/runtime';
import { PAPER_CONDITION_TITLES, PAPER_CONDITIONS, type PaperPhoto, paperPhotoSet } from '@cnnx/testing';
import sharp from 'sharp';
import { runCnnx } from './helpers/cli.js';
import { quickstartRun } from './helpers/model.js';

/** Digits per condition: the issue asks for at least 50; 60 keeps the ten classes even. */
const PER_CONDITION = 60;
const REQUIRED_ACCURACY = 0.95;

function best(probabilities: Float32Array): number {
  return probabilities.indexOf(Math.max(...probabilities));
}

describe('digits photographed on real paper, prepared by prepareDigit, read by the quickstart model', () => {
  let run = '';
  let classifier: Classifier;
  let photos: PaperPhoto[] = [];
  let heldOut: Dataset;
  let folder = '';

  before(async () => {
    run = await quickstartRun();
    classifier = await Classifier.load(join(run, 'model.onnx'), { device: 'cpu' });
    photos = await paperPhotoSet({
      heldOut: await loadDataset('mnist-sample', { split: 'test' }),
      random: createRandom(19),
      perCondition: PER_CONDITION,
    });
    heldOut = await loadDataset('mnist-sample', { split: 'test' });
    folder = await mkdtemp(join(tmpdir(), 'cnnx-paper-'));
  });

  after(async () => {
    await classifier?.release();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  test('the set: 60 held-out digits per condition, six of each class, as 640×480 JPEGs', () => {
    assert.equal(photos.length, PER_CONDITION * PAPER_CONDITIONS.length);
    for (const condition of PAPER_CONDITIONS) {
      const own = photos.filter((photo) => photo.condition === condition);
      assert.equal(own.length, PER_CONDITION);
      for (let label = 0; label < 10; label += 1) {
        assert.equal(own.filter((photo) => photo.label === label).length, PER_CONDITION / 10);
      }
      for (const photo of own) {
        assert.equal(heldOut.labels[photo.heldOutIndex], photo.label, 'the label is the held-out digit’s');
        assert.deepEqual([...photo.jpeg.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
      }
    }
  });

  for (const condition of PAPER_CONDITIONS) {
    test(`${PAPER_CONDITION_TITLES[condition]}: at least 95% read right`, async () => {
      const own = photos.filter((photo) => photo.condition === condition);
      let right = 0;
      let rightAsMnist = 0;
      const wrong: string[] = [];
      for (const photo of own) {
        const prepared = await prepareDigit(photo.jpeg);
        const read = best(await classifier.probabilities(prepared.pixels, 1));
        if (read === photo.label) right += 1;
        else wrong.push(`held-out #${photo.heldOutIndex}: ${photo.label} read as ${read}`);
        const digit = heldOut.images.subarray(photo.heldOutIndex * 784, (photo.heldOutIndex + 1) * 784);
        if (best(await classifier.probabilities(digit, 1)) === photo.label) rightAsMnist += 1;
      }
      const accuracy = right / own.length;
      console.log(
        `${condition}: ${(accuracy * 100).toFixed(1)}% (${right}/${own.length}); the same digits as MNIST gives them: ${((rightAsMnist / own.length) * 100).toFixed(1)}%${wrong.length ? `; ${wrong.join(', ')}` : ''}`,
      );
      assert.ok(accuracy >= REQUIRED_ACCURACY, `${condition}: ${right}/${own.length}; ${wrong.join(', ')}`);
    });
  }

  test('decoded RGB pixels given to Classifier.classify are prepared in colour, as prepareDigitImage does', async () => {
    for (const condition of ['ruled', 'squared'] as const) {
      for (const photo of photos.filter((candidate) => candidate.condition === condition).slice(0, 5)) {
        const { data, info } = await sharp(photo.jpeg)
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
        const image = { pixels, width: info.width, height: info.height, channels: 3 as const };
        const [result] = await classifier.classify(image, { topK: 10 });
        const expected = await classifier.probabilities(prepareDigitImage(image).pixels, 1);
        assert.ok(result);
        for (const entry of result.top) {
          assert.ok(
            Math.abs(entry.probability - expected[entry.index]!) < 1e-6,
            `${condition} #${photo.heldOutIndex}: class ${entry.index} ${entry.probability} vs ${expected[entry.index]}`,
          );
        }
      }
    }
  });

  test('cnnx predict --report shows each photo, its cleaned page and the 28×28 the model saw', async () => {
    const files: string[] = [];
    const expected: number[] = [];
    for (const [k, condition] of PAPER_CONDITIONS.entries()) {
      const photo = photos.find(
        (candidate) => candidate.condition === condition && candidate.label === 7 - k,
      );
      assert.ok(photo);
      const file = join(folder, `${condition}.jpg`);
      await writeFile(file, photo.jpeg);
      files.push(file);
      expected.push(best(await classifier.probabilities((await prepareDigit(file)).pixels, 1)));
    }
    const report = join(folder, 'report');
    const predicted = await runCnnx(
      [
        'predict',
        '--model',
        join(run, 'model.onnx'),
        '--device',
        'cpu',
        '--json',
        '--report',
        report,
        ...files,
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(predicted.code, 0, predicted.stderr);
    const results = JSON.parse(predicted.stdout) as { index: number }[];
    assert.deepEqual(
      results.map((result) => result.index),
      expected,
      'the CLI prepares as prepareDigit does',
    );
    const svg = await readFile(join(report, 'predictions.svg'), 'utf8');
    assert.ok(svg.includes('cleaned page'), 'the report names the cleaned page');
    assert.equal((svg.match(/<image /g) ?? []).length, 3 * files.length, 'three images per photo');
  });
});
