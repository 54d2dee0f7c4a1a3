import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium, openHtmlFile } from '@cnnx/testing';
import sharp from 'sharp';
import { evaluatePredictions } from '../src/metrics/index.js';
import { renderPage, type WrittenReport, writePredictionReport, writeReport } from '../src/report/index.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../../test-artifacts');

/** 60 synthetic 28×28 "digits": class k is a vertical bar at column 2k+4; every fourth one is mistaken. */
function fixture() {
  const count = 60;
  const classes = 10;
  const images = new Uint8Array(count * 28 * 28);
  const labels = new Uint8Array(count);
  const probabilities = new Float32Array(count * classes);
  for (let index = 0; index < count; index++) {
    const label = index % classes;
    labels[index] = label;
    for (let row = 4; row < 24; row++) {
      for (let column = 2 * label + 4; column < 2 * label + 7; column++)
        images[index * 784 + row * 28 + column] = 255;
    }
    const guess = index % 4 === 0 ? (label + 3) % classes : label;
    const confidence = 0.5 + (index % 7) / 20;
    for (let c = 0; c < classes; c++) {
      probabilities[index * classes + c] = c === guess ? confidence : (1 - confidence) / (classes - 1);
    }
  }
  const classNames = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  return { images, labels, probabilities, metrics: evaluatePredictions(probabilities, labels, classNames) };
}

describe('writeReport', () => {
  let dir: string;
  let written: WrittenReport;
  const data = fixture();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cnnx-report-'));
    written = await writeReport(dir, {
      title: 'Synthetic <report> & test',
      metrics: data.metrics,
      history: [
        { epoch: 1, loss: 0.9, accuracy: 0.7, valLoss: 0.8, valAccuracy: 0.72 },
        { epoch: 2, loss: 0.5, accuracy: 0.85, valLoss: 0.55, valAccuracy: 0.83 },
        { epoch: 3, loss: 0.3, accuracy: 0.91, valLoss: 0.45, valAccuracy: 0.86 },
      ],
      samples: {
        images: data.images,
        shape: [28, 28, 1],
        labels: data.labels,
        probabilities: data.probabilities,
      },
      labelCounts: [
        { split: 'train', labels: data.labels },
        { split: 'test', labels: data.labels.subarray(0, 20) },
      ],
      details: { model: 'synthetic', dataset: 'bars' },
    });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every figure as SVG and PNG, and nothing half-written', async () => {
    const names = written.figures.map((figure) => figure.name);
    assert.deepEqual(names, [
      'loss-curve',
      'accuracy-curve',
      'confusion-matrix',
      'classification-report',
      'test-images',
      'confident-mistakes',
      'label-distribution',
    ]);
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, [...written.files].sort());
    assert.ok(!files.some((file) => file.endsWith('.tmp')));
    for (const figure of written.figures) {
      const svg = await readFile(join(dir, figure.svg), 'utf8');
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      const png = await sharp(join(dir, figure.png)).metadata();
      assert.equal(png.format, 'png');
      assert.ok(
        (png.width ?? 0) > 100 && (png.height ?? 0) > 50,
        `${figure.png} is ${png.width}×${png.height}`,
      );
    }
  });

  it('samples the "Pred / True" grid across a set stored class by class', async () => {
    const sortedDir = await mkdtemp(join(tmpdir(), 'cnnx-report-sorted-'));
    try {
      const order = [...data.labels.keys()].sort((a, b) => data.labels[a]! - data.labels[b]!);
      const images = new Uint8Array(data.images.length);
      const labels = new Uint8Array(data.labels.length);
      const probabilities = new Float32Array(data.probabilities.length);
      order.forEach((from, to) => {
        images.set(data.images.subarray(from * 784, (from + 1) * 784), to * 784);
        labels[to] = data.labels[from]!;
        probabilities.set(data.probabilities.subarray(from * 10, (from + 1) * 10), to * 10);
      });
      await writeReport(sortedDir, {
        metrics: data.metrics,
        samples: { images, shape: [28, 28, 1], labels, probabilities },
        gridSize: 10,
      });
      const grid = await readFile(join(sortedDir, 'test-images.svg'), 'utf8');
      const truths = new Set([...grid.matchAll(/\/ True (\w+)</g)].map((match) => match[1]));
      assert.equal(truths.size, 10, `every class appears in a 10-image grid, got ${[...truths].join(', ')}`);
    } finally {
      await rm(sortedDir, { recursive: true, force: true });
    }
  });

  it('titles test images "Pred / True" and lists mistakes by confidence', async () => {
    const grid = await readFile(join(dir, 'test-images.svg'), 'utf8');
    assert.ok(grid.includes('Pred three / True zero'), 'image 0 (true 0, predicted 3)');
    assert.ok(grid.includes('Pred one / True one'));
    const mistakes = await readFile(join(dir, 'confident-mistakes.svg'), 'utf8');
    // 15 mistakes (every fourth of 60); the most confident are 20 and 48 (0.5 + 6/20 = 0.80), 20 first.
    const captions = [...mistakes.matchAll(/>Pred (\w+) \((\d+)%\) \/ True (\w+)</g)];
    assert.equal(captions.length, 15);
    assert.deepEqual(captions[0]?.slice(1), ['three', '80', 'zero']);
    assert.deepEqual(captions[1]?.slice(1), ['one', '80', 'eight']);
    const percents = captions.map((caption) => Number(caption[2]));
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => b - a),
    );
  });

  it('annotates the confusion matrix with its counts', async () => {
    const svg = await readFile(join(dir, 'confusion-matrix.svg'), 'utf8');
    // Class zero: 6 images (0, 10, …, 50); 0, 20 and 40 predicted as three. Class two: 12, 32, 52 as five.
    assert.deepEqual(data.metrics.confusionMatrix[0], [3, 0, 0, 3, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(data.metrics.confusionMatrix[2], [0, 0, 3, 0, 0, 3, 0, 0, 0, 0]);
    const cells = [...svg.matchAll(/<text[^>]*>(\d+)<\/text>/g)].map((match) => Number(match[1]));
    for (const count of [3, 6]) assert.ok(cells.includes(count), `a cell reads ${count}`);
    assert.ok(cells.filter((count) => count === 0).length >= 80, 'the empty cells read 0');
  });

  it('opens offline in headless Chromium with every image loaded and no console error', async () => {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    assert.ok(!/(?:src|href)="(?!data:)/.test(html), 'the page references no outside file');
    assert.ok(html.includes('Synthetic &lt;report&gt; &amp; test'));
    assert.ok(html.includes('weighted avg'));

    const browser = await launchChromium();
    try {
      const { page, images, problems } = await openHtmlFile(browser, join(dir, 'report.html'));
      assert.equal(images.length, written.figures.length);
      for (const image of images) {
        assert.ok(
          image.complete && image.width > 0 && image.height > 0,
          `${image.alt}: ${image.width}×${image.height}`,
        );
      }
      assert.deepEqual(problems, []);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      const screenshot = await sharp(join(ARTIFACTS, 'report.png')).metadata();
      assert.ok((screenshot.height ?? 0) > 900, 'the full page is taller than the viewport');
    } finally {
      await browser.close();
    }
  });

  it('refuses samples whose sizes disagree, naming the argument', async () => {
    await assert.rejects(
      writeReport(dir, {
        metrics: data.metrics,
        samples: {
          images: data.images.subarray(1),
          shape: [28, 28, 1],
          labels: data.labels,
          probabilities: data.probabilities,
        },
      }),
      /'samples.images' has 47039 bytes; expected 60 images × 28×28×1/,
    );
  });
});

describe('renderPage', () => {
  it('escapes text and inlines figures', () => {
    const html = renderPage({
      title: 'a < b',
      summary: [['k"', 'v&']],
      figures: [{ title: 'F', name: 'f', dataUri: 'data:image/svg+xml;base64,AAAA' }],
    });
    assert.ok(html.includes('<title>a &lt; b</title>'));
    assert.ok(html.includes('<th>k&quot;</th><td>v&amp;</td>'));
    assert.ok(html.includes('src="data:image/svg+xml;base64,AAAA"'));
  });
});

describe('writePredictionReport', () => {
  it('shows each input, the cleaned page when given, the 28×28 image the model saw and its top classes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cnnx-predictions-'));
    try {
      const rgba = new Uint8Array(60 * 40 * 4).fill(255);
      const prepared = new Uint8Array(28 * 28);
      for (let row = 4; row < 24; row++) prepared[row * 28 + 14] = 255;
      const written = await writePredictionReport(dir, [
        {
          name: 'seven.png',
          image: { pixels: rgba, width: 60, height: 40, channels: 4 },
          page: { pixels: new Uint8Array(60 * 40).fill(255), width: 60, height: 40 },
          prepared: { pixels: prepared, width: 28, height: 28 },
          top: [
            { label: '7', probability: 0.97 },
            { label: '1', probability: 0.02 },
            { label: '9', probability: 0.01 },
          ],
        },
        {
          name: 'one.jpg',
          image: { pixels: new Uint8Array(28 * 28), width: 28, height: 28, channels: 1 },
          prepared: { pixels: prepared, width: 28, height: 28 },
          top: [{ label: '1', probability: 0.6 }],
        },
      ]);
      assert.deepEqual(written.files, ['predictions.svg', 'predictions.png', 'predictions.html']);
      const svg = await readFile(join(dir, 'predictions.svg'), 'utf8');
      for (const text of ['seven.png', 'one.jpg', '97.0%', '60.0%', 'cleaned page', 'model input (28×28)']) {
        assert.ok(svg.includes(text), text);
      }
      assert.equal(
        (svg.match(/<image /g) ?? []).length,
        5,
        'input, cleaned page and model input for the first; no cleaned page for the second',
      );
      const png = await sharp(join(dir, 'predictions.png')).metadata();
      assert.equal(png.format, 'png');
      const html = await readFile(join(dir, 'predictions.html'), 'utf8');
      assert.ok(html.includes('7 97.0%, 1 2.0%, 9 1.0%'));
      await assert.rejects(
        writePredictionReport(dir, [
          {
            name: 'x',
            image: { pixels: rgba, width: 10, height: 10, channels: 4 },
            prepared: { pixels: prepared, width: 28, height: 28 },
            top: [],
          },
        ]),
        /'items'\[0\].image has 9600 values; expected 10×10×4/,
      );
      await assert.rejects(
        writePredictionReport(dir, [
          {
            name: 'x',
            image: { pixels: rgba, width: 60, height: 40, channels: 4 },
            page: { pixels: new Uint8Array(10), width: 60, height: 40 },
            prepared: { pixels: prepared, width: 28, height: 28 },
            top: [],
          },
        ]),
        /'items'\[0\].page has 10 values; expected 60×40/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
