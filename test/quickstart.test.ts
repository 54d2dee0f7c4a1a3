import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readOnnx } from '@cnnx/export';
import { launchChromium, openHtmlFile } from '@cnnx/testing';
import sharp from 'sharp';
import { lines, runCnnx } from './helpers/cli.js';

describe('cnnx quickstart, end to end on a small subset', () => {
  let work: string;
  let out: string;
  let run: Awaited<ReturnType<typeof runCnnx>>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cnnx-quickstart-'));
    out = join(work, 'run');
    run = await runCnnx(['quickstart', '--out', out, '--epochs', '1', '--limit', '600', '--json'], {
      timeoutMs: 300_000,
    });
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('exits 0 and prints metrics.json on stdout, progress on stderr', () => {
    assert.equal(run.code, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as { test: { count: number } };
    assert.ok(
      Math.abs(printed.test.count - 90) <= 5,
      `a 15% stratified test part of 600 images, got ${printed.test.count}`,
    );
    // onnxruntime covers the classic CNN, so auto trains on it
    assert.match(run.stderr, /training backend: onnxruntime \(cpu, \d+ threads?\)/);
    assert.match(
      run.stderr,
      /epoch 1\/1: loss [\d.]+ acc [\d.]+ val_loss [\d.]+ val_acc [\d.]+ \| \d+ img\/s/,
    );
    assert.match(run.stderr, /Total params: 421,642/);
  });

  test('writes the tfjs model, the ONNX file and metrics.json, and nothing half-written', async () => {
    const entries = (await readdir(out)).sort();
    for (const expected of ['metrics.json', 'model', 'model.onnx'])
      assert.ok(entries.includes(expected), expected);
    const model = (await readdir(join(out, 'model'))).sort();
    assert.ok(model.includes('model.json'));
    assert.ok(model.some((name) => name.endsWith('.bin')));
    const siblings = await readdir(work);
    assert.deepEqual(siblings, ['run'], 'no temporary folders left beside the run');
  });

  test('metrics.json holds the documented fields, with ONNX matching tfjs', async () => {
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    assert.equal(metrics.dataset.spec, 'mnist-sample');
    assert.equal(metrics.backend, 'onnxruntime');
    assert.equal(metrics.device, 'cpu');
    assert.equal(typeof metrics.threads, 'number');
    assert.equal(metrics.epochs, 1);
    assert.equal(metrics.seed, 42);
    assert.equal(metrics.history.length, 1);
    assert.equal(metrics.test.confusionMatrix.length, 10);
    assert.equal(metrics.test.perClass.length, 10);
    const supports = metrics.test.perClass.map((c: { support: number }) => c.support);
    assert.equal(
      supports.reduce((a: number, b: number) => a + b, 0),
      metrics.test.count,
    );
    for (const c of metrics.test.perClass) {
      for (const key of ['precision', 'recall', 'f1'])
        assert.ok(c[key] >= 0 && c[key] <= 1, `${c.label} ${key}`);
    }
    assert.ok(
      metrics.test.accuracy > 0.5,
      `one epoch on 510 digits learns something: ${metrics.test.accuracy}`,
    );
    assert.equal(metrics.onnx.opset, 17);
    assert.ok(metrics.onnx.agreement >= 0.999, `agreement ${metrics.onnx.agreement}`);
    assert.ok(metrics.onnx.maxAbsDiff <= 1e-4, `maxAbsDiff ${metrics.onnx.maxAbsDiff}`);
  });

  test('model.onnx carries the class names and a symbolic batch', async () => {
    const info = readOnnx(new Uint8Array(await readFile(join(out, 'model.onnx'))));
    assert.equal(info.opset, 17);
    assert.equal(info.producerName, 'cnnx');
    assert.deepEqual(info.inputs[0]?.shape, ['batch', 28, 28, 1]);
    assert.equal(info.operators.Transpose, 1, 'NHWC input: one Transpose');
    assert.equal(info.parameterCount, 421_642);
    assert.deepEqual(JSON.parse(info.metadata['cnnx.class_names'] ?? '[]'), [
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
  });

  test('report.html opens offline in headless Chromium with every figure loaded and no console error', async () => {
    const figures = [
      'loss-curve',
      'accuracy-curve',
      'confusion-matrix',
      'classification-report',
      'test-images',
      'confident-mistakes',
      'label-distribution',
    ];
    for (const figure of figures) {
      const png = await sharp(join(out, `${figure}.png`)).metadata();
      assert.ok((png.width ?? 0) > 0 && (png.height ?? 0) > 0, `${figure}.png decodes`);
    }
    const browser = await launchChromium();
    try {
      const { page, images, problems } = await openHtmlFile(browser, join(out, 'report.html'));
      assert.equal(images.length, figures.length, 'every figure is on the page');
      for (const image of images) assert.ok(image.width > 0 && image.height > 0, `${image.alt} loaded`);
      assert.deepEqual(problems, []);
      const artifacts = resolve(import.meta.dirname, '..', 'test-artifacts');
      await mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'quickstart-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  test('refuses to replace a folder that is not a quickstart run, and leaves it untouched', async () => {
    const foreign = join(work, 'mine');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'my notes');
    const refused = await runCnnx(['quickstart', '--out', foreign, '--epochs', '1', '--limit', '100']);
    assert.equal(refused.code, 1);
    assert.equal(lines(refused.stderr).length, 1, refused.stderr);
    assert.match(refused.stderr, /exists and is not an earlier quickstart run; .*--force/);
    assert.equal(await readFile(join(foreign, 'notes.txt'), 'utf8'), 'my notes');
    assert.ok((await stat(foreign)).isDirectory());
  });
});
