import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadDataset, stratifiedSplit, subset } from '@cnnx/data';
import { exportToOnnx } from '@cnnx/export';
import { buildModel, initBackend, saveModel, trainModel } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { runCnnx as runCnnxWith } from './helpers/cli.js';

const runCnnx = (args: string[]) => runCnnxWith(args, { timeoutMs: 180000 });

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

interface EvaluateJson {
  count: number;
  loss: number;
  accuracy: number;
  top3Accuracy: number;
  confusionMatrix: number[][];
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  macroAvg: { precision: number; recall: number; f1: number };
  weightedAvg: { precision: number; recall: number; f1: number };
}

describe('cnnx evaluate', () => {
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cnnx-evaluate-'));
    await initBackend('auto');
    const digits = await loadDataset('mnist-sample');
    const train = subset(
      digits,
      stratifiedSplit(digits.labels, 0.15, 42).train.filter((_, i) => i % 3 === 0),
    );
    const manifest = { classNames: digits.classNames } as Parameters<typeof saveModel>[2];

    // A small model trained for one epoch, saved as tfjs and exported to ONNX.
    const model = buildModel('tiny', { inputShape: [28, 28, 1], numClasses: 10, seed: 7 });
    await trainModel(model, { train }, { epochs: 1, batchSize: 64, seed: 7 });
    await saveModel(model, join(work, 'run', 'model'), manifest);
    const onnx = await exportToOnnx(model, { classNames: digits.classNames, inputScale: 'unit' });
    await writeFile(join(work, 'run', 'model.onnx'), onnx);

    // A model for five classes, and an ONNX file whose output is a feature map, not a class vector.
    const fiveClasses = buildModel('tiny', { inputShape: [28, 28, 1], numClasses: 5, seed: 7 });
    await saveModel(fiveClasses, join(work, 'five'), {
      classNames: ['a', 'b', 'c', 'd', 'e'],
    } as typeof manifest);
    const featureMap = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3 })],
    });
    await writeFile(join(work, 'feature-map.onnx'), await exportToOnnx(featureMap, {}));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('tfjs folder and its ONNX export give the same metrics on the quickstart test split', async () => {
    const tfjs = await runCnnx([
      'evaluate',
      '--model',
      join(work, 'run', 'model'),
      '--dataset',
      'mnist-sample',
      '--json',
    ]);
    assert.equal(tfjs.code, 0, tfjs.stderr);
    const onnx = await runCnnx([
      'evaluate',
      '--model',
      join(work, 'run', 'model.onnx'),
      '--dataset',
      'mnist-sample',
      '--json',
    ]);
    assert.equal(onnx.code, 0, onnx.stderr);
    const a = JSON.parse(tfjs.stdout) as EvaluateJson;
    const b = JSON.parse(onnx.stdout) as EvaluateJson;
    assert.deepEqual(Object.keys(a), [
      'count',
      'loss',
      'accuracy',
      'top3Accuracy',
      'confusionMatrix',
      'perClass',
      'macroAvg',
      'weightedAvg',
    ]);
    // The quickstart's held-out 15% of 10,000 digits (seed 42).
    assert.equal(a.count, 1501);
    assert.equal(b.count, a.count);
    assert.ok(
      a.accuracy > 0.5,
      `one epoch on 2,833 digits of every class learns something (accuracy ${a.accuracy})`,
    );
    const differing = Math.abs(a.accuracy - b.accuracy) * a.count;
    assert.ok(differing <= Math.max(1, a.count / 10_000) + 1e-9, `${differing} images differ`);
    assert.ok(Math.abs(a.loss - b.loss) < 1e-3, `loss ${a.loss} vs ${b.loss}`);
    // The terminal shows the classification report as scikit-learn prints it.
    assert.match(tfjs.stderr, /\n\s+precision\s+recall\s+f1-score\s+support\n/);
    assert.match(tfjs.stderr, /\nweighted avg\s+\d\.\d\d\s+\d\.\d\d\s+\d\.\d\d\s+1501\n/);
  });

  test('the JSON figures agree with its own confusion matrix', async () => {
    const { code, stdout, stderr } = await runCnnx([
      'evaluate',
      '--model',
      join(work, 'run'),
      '--dataset',
      'mnist-sample',
      '--json',
      '--report',
      join(work, 'report'),
    ]);
    assert.equal(code, 0, stderr);
    const metrics = JSON.parse(stdout) as EvaluateJson;
    const matrix = metrics.confusionMatrix;
    const total = matrix.flat().reduce((sum, value) => sum + value, 0);
    assert.equal(total, metrics.count);
    const correct = matrix.reduce((sum, row, index) => sum + (row[index] ?? 0), 0);
    assert.equal(metrics.accuracy, correct / total);
    metrics.perClass.forEach((entry, index) => {
      const support = (matrix[index] ?? []).reduce((sum, value) => sum + value, 0);
      const predicted = matrix.reduce((sum, row) => sum + (row[index] ?? 0), 0);
      const hits = matrix[index]?.[index] ?? 0;
      assert.equal(entry.support, support);
      assert.ok(Math.abs(entry.precision - (predicted === 0 ? 0 : hits / predicted)) < 1e-12);
      assert.ok(Math.abs(entry.recall - (support === 0 ? 0 : hits / support)) < 1e-12);
    });
    const files = await readdir(join(work, 'report'));
    assert.ok(files.includes('report.html'));
    for (const name of ['confusion-matrix', 'classification-report', 'test-images', 'label-distribution']) {
      assert.ok(files.includes(`${name}.svg`), `${name}.svg`);
      const png = await sharp(join(work, 'report', `${name}.png`)).metadata();
      assert.equal(png.format, 'png');
    }
  });

  test('a folder with no model names what it looked for', async () => {
    const { code, stderr } = await runCnnx(['evaluate', '--model', work, '--dataset', 'mnist-sample']);
    assert.equal(code, 1);
    assert.equal(lines(stderr).length, 1, stderr);
    assert.match(stderr, /holds no model: looked for .*model\.json, .*model\/model\.json, .*model\.onnx/);
  });

  test('a model and dataset that disagree give one line naming both shapes', async () => {
    const { code, stderr } = await runCnnx([
      'evaluate',
      '--model',
      join(work, 'five'),
      '--dataset',
      'mnist-sample',
    ]);
    assert.equal(code, 1);
    assert.equal(lines(stderr).length, 1, stderr);
    assert.match(
      stderr,
      /takes 28×28×1 images with 5 classes but dataset mnist-sample has 28×28×1 images with 10 classes/,
    );
  });

  test('an ONNX model whose output is not a class vector is refused with its shape', async () => {
    const { code, stderr } = await runCnnx([
      'evaluate',
      '--model',
      join(work, 'feature-map.onnx'),
      '--dataset',
      'mnist-sample',
    ]);
    assert.equal(code, 1);
    assert.equal(lines(stderr).length, 1, stderr);
    assert.match(stderr, /has shape \[batch, 26, 26, 2\]; expected a class vector \[batch, classes\]/);
  });

  test('a bad --split is a usage error', async () => {
    const { code, stderr } = await runCnnx([
      'evaluate',
      '--model',
      work,
      '--dataset',
      'mnist-sample',
      '--split',
      'dev',
    ]);
    assert.equal(code, 2);
    assert.match(stderr, /expected one of train, test for --split/);
  });
});
