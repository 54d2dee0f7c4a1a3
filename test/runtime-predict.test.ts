/**
 * `cnnx predict` on an .onnx file, run as a child process of the built CLI: top classes per image through the
 * runtime's Classifier, `--json`, `--top`, `--no-prepare`, and one line per unreadable image with exit code 1.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadDataset } from '@cnnx/data';
import { exportToOnnx } from '@cnnx/export';
import { Classifier } from '@cnnx/runtime';
import { buildModel, initBackend, saveModel } from '@cnnx/train';
import sharp from 'sharp';
import { lines, runCnnx } from './helpers/cli.js';

const classNames = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

describe('cnnx predict', () => {
  let folder = '';
  let modelPath = '';
  const digits: string[] = [];

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cnnx-predict-'));
    await initBackend('auto');
    const model = buildModel('classic', { inputShape: [28, 28, 1], numClasses: 10, seed: 5 });
    modelPath = join(folder, 'model.onnx');
    await writeFile(modelPath, await exportToOnnx(model, { classNames }));
    await saveModel(model, join(folder, 'tfjs'), { classNames });
    const dataset = await loadDataset('mnist-sample');
    for (let i = 0; i < 3; i++) {
      // Dark ink on white, 3× the size: what a scan or a drawing looks like.
      const ink = Uint8Array.from(dataset.images.subarray(i * 784, (i + 1) * 784), (v) => 255 - v);
      const path = join(folder, `digit-${i}.png`);
      await sharp(ink, { raw: { width: 28, height: 28, channels: 1 } })
        .resize(84, 84)
        .png()
        .toFile(path);
      digits.push(path);
    }
    await writeFile(join(folder, 'empty.png'), '');
    await writeFile(join(folder, 'notes.png'), 'these are notes\n');
  });

  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test('--json prints, per image, the same top classes as the Classifier API', async () => {
    const run = await runCnnx(['predict', '--model', modelPath, '--json', '--top', '4', ...digits]);
    assert.equal(run.code, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as {
      file: string;
      label: string;
      index: number;
      probability: number;
      top: { label: string; index: number; probability: number }[];
    }[];
    assert.equal(printed.length, digits.length);
    const classifier = await Classifier.load(modelPath, { device: 'cpu' });
    for (const [i, entry] of printed.entries()) {
      const [expected] = await classifier.classify(digits[i]!, { topK: 4 });
      assert.equal(entry.file, digits[i]);
      assert.equal(entry.top.length, 4);
      assert.equal(entry.label, classNames[entry.index]);
      assert.deepEqual(
        entry.top.map((t) => t.index),
        expected?.top.map((t) => t.index),
      );
      assert.ok(Math.abs(entry.probability - expected!.probability) < 1e-6);
    }
    await classifier.release();
  });

  test('without --json: one line per image with its top 3 on stderr, nothing on stdout', async () => {
    const run = await runCnnx(['predict', '--model', modelPath, digits[0]!]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    const [line] = lines(run.stderr);
    assert.match(line ?? '', /digit-0\.png: \w+ {2}\((\w+ \d+\.\d%( {2})?){3}\)$/);
  });

  test('--no-prepare only resizes: different input, different probabilities', async () => {
    const prepared = JSON.parse(
      (await runCnnx(['predict', '--model', modelPath, '--json', digits[1]!])).stdout,
    );
    const raw = await runCnnx(['predict', '--model', modelPath, '--json', '--no-prepare', digits[1]!]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.notEqual(JSON.parse(raw.stdout)[0].probability, prepared[0].probability);
  });

  test('missing, empty and non-image files: one line each, exit 1, the good images still answered', async () => {
    const missing = join(folder, 'missing.png');
    const empty = join(folder, 'empty.png');
    const notes = join(folder, 'notes.png');
    const run = await runCnnx(['predict', '--model', modelPath, '--json', digits[0]!, missing, empty, notes]);
    assert.equal(run.code, 1);
    assert.equal(JSON.parse(run.stdout).length, 1);
    const errors = lines(run.stderr);
    assert.equal(errors.length, 3, run.stderr);
    assert.match(errors[0]!, /missing\.png.*does not exist/);
    assert.match(errors[1]!, /empty\.png.*is empty/);
    assert.match(errors[2]!, /notes\.png.*not an image/);
    assert.ok(!run.stderr.includes('    at '), 'no stack trace');
  });

  test('a bad model or bad flags: one line, exit 1 or 2', async () => {
    const missing = await runCnnx(['predict', '--model', join(folder, 'nope.onnx'), digits[0]!]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--model .*nope\.onnx does not exist/);
    const notOnnx = await runCnnx(['predict', '--model', join(folder, 'notes.png'), digits[0]!]);
    assert.equal(notOnnx.code, 1);
    assert.match(notOnnx.stderr, /notes\.png is a file but not an \.onnx file or a tfjs model\.json/);
    assert.equal(lines(notOnnx.stderr).length, 1);
    const empty = join(folder, 'no-model');
    await mkdir(empty, { recursive: true });
    const folderModel = await runCnnx(['predict', '--model', empty, digits[0]!]);
    assert.equal(folderModel.code, 1);
    assert.match(folderModel.stderr, /holds no model: looked for .*model\.json/);
    assert.equal(lines(folderModel.stderr).length, 1);
    const badTop = await runCnnx(['predict', '--model', modelPath, '--top', '0', digits[0]!]);
    assert.equal(badTop.code, 2);
    assert.match(badTop.stderr, /--top/);
  });

  test('a tfjs model folder gives the same classes as its ONNX export, and --report draws what the model saw', async () => {
    const onnx = await runCnnx(['predict', '--model', modelPath, '--json', ...digits]);
    const report = join(folder, 'report');
    const tfjs = await runCnnx([
      'predict',
      '--model',
      join(folder, 'tfjs'),
      '--json',
      '--report',
      report,
      ...digits,
    ]);
    assert.equal(tfjs.code, 0, tfjs.stderr);
    assert.doesNotMatch(
      tfjs.stderr,
      /WARN/,
      'no library warning reaches the output of cnnx predict --report',
    );
    const fromOnnx = JSON.parse(onnx.stdout) as { label: string; probability: number }[];
    const fromTfjs = JSON.parse(tfjs.stdout) as { label: string; probability: number }[];
    assert.deepEqual(
      fromTfjs.map((result) => result.label),
      fromOnnx.map((result) => result.label),
    );
    fromTfjs.forEach((result, i) => {
      assert.ok(Math.abs(result.probability - fromOnnx[i]!.probability) < 1e-4);
      assert.ok(classNames.includes(result.label), "class names come from the folder's manifest");
    });
    assert.deepEqual((await readdir(report)).sort(), [
      'predictions.html',
      'predictions.png',
      'predictions.svg',
    ]);
    const noPrepare = await runCnnx([
      'predict',
      '--model',
      modelPath,
      '--no-prepare',
      '--report',
      report,
      digits[0]!,
    ]);
    assert.equal(noPrepare.code, 2);
  });
});
