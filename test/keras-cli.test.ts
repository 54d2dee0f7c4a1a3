/**
 * Keras models in through the `cnnx` command (issue 18's "Done when"): for each of the five real Keras files,
 * `cnnx export` writes an ONNX file whose outputs equal an independent numpy forward pass of the file
 * (scripts/keras-forward.py) to 1e-4 on 300 real digits, `cnnx evaluate` scores ≥ 97% on mnist-sample's
 * held-out digits, and `cnnx predict` names the right class for digit images; `cnnx train` fine-tunes a
 * `.keras` file for one epoch into a run that exports, and a second one resumes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Dataset, loadDataset } from '@cnnx/data';
import { Classifier } from '@cnnx/runtime';
import {
  KERAS_FIXTURES,
  kerasFixturesDir,
  kerasReferenceForward,
  kerasReferenceUnavailable,
} from '@cnnx/testing';
import sharp from 'sharp';
import { accuracy } from './helpers/accuracy.js';
import { runCnnx } from './helpers/cli.js';

const fixtures = kerasFixturesDir();
const skip = fixtures.skip || kerasReferenceUnavailable();

describe('the five real Keras files through cnnx export, evaluate, predict and train', { skip }, () => {
  let work = '';
  let heldOut: Dataset;
  const digits: { path: string; label: string }[] = [];
  /** The held-out probabilities of each fixture's ONNX export, to tell that fine-tuning moved the weights. */
  const exported = new Map<string, Float32Array>();

  async function heldOutProbabilities(onnx: string): Promise<Float32Array> {
    const classifier = await Classifier.load(onnx, { device: 'cpu' });
    try {
      return await classifier.probabilities(heldOut.images, heldOut.count);
    } finally {
      await classifier.release();
    }
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cnnx-keras-cli-'));
    heldOut = await loadDataset('mnist-sample', { split: 'test', seed: 42 });
    // Held-out digits of five classes as a user would photograph them: dark ink on white, 3× the size.
    for (const index of [0, 170, 340, 700, 900]) {
      const ink = Uint8Array.from(
        heldOut.images.subarray(index * 784, (index + 1) * 784),
        (value) => 255 - value,
      );
      const path = join(work, `digit-${index}.png`);
      await sharp(ink, { raw: { width: 28, height: 28, channels: 1 } })
        .resize(84, 84)
        .png()
        .toFile(path);
      digits.push({ path, label: String(heldOut.labels[index]) });
    }
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const fixture of KERAS_FIXTURES) {
    test(`${fixture.file}: cnnx export equals numpy to 1e-4 on 300 digits, cnnx evaluate ≥ 97%, cnnx predict names the digits`, async (t) => {
      const model = join(fixtures.dir, fixture.file);
      const onnx = join(work, `${fixture.file}.onnx`);
      // evaluate and predict read only the Keras file: they run beside the export and its checks
      const evaluation = runCnnx(
        ['evaluate', '--model', model, '--dataset', 'mnist-sample', '--split', 'test', '--json'],
        { cwd: work },
      );
      const images = digits.map((digit) => digit.path);
      const prediction = runCnnx(['predict', '--model', model, '--json', ...images], { cwd: work });
      const exporting = await runCnnx(['export', '--model', model, '--out', onnx, '--json'], { cwd: work });
      assert.equal(exporting.code, 0, exporting.stderr);
      const written = JSON.parse(exporting.stdout);
      assert.deepEqual(written.inputs[0].shape, ['batch', 28, 28, 1]);
      assert.equal(written.metadata['cnnx.input_scale'], 'unit');

      const probabilities = await heldOutProbabilities(onnx);
      exported.set(fixture.file, probabilities);
      const count = 300;
      const unit = Float32Array.from(heldOut.images.subarray(0, count * 784), (value) => value / 255);
      const reference = kerasReferenceForward(model, unit, work);
      assert.equal(reference.length, count * 10);
      let largest = 0;
      for (let index = 0; index < reference.length; index += 1) {
        largest = Math.max(largest, Math.abs(reference[index]! - probabilities[index]!));
      }
      assert.ok(largest <= 1e-4, `max |ONNX − numpy| ${largest} over ${count} digits`);

      const evaluating = await evaluation;
      assert.equal(evaluating.code, 0, evaluating.stderr);
      const metrics = JSON.parse(evaluating.stdout);
      assert.equal(metrics.count, heldOut.count);
      assert.ok(metrics.accuracy >= 0.97, `cnnx evaluate: ${metrics.accuracy}`);
      t.diagnostic(
        `max |ONNX − numpy| ${largest.toExponential(1)} on ${count} digits; cnnx evaluate ${(100 * metrics.accuracy).toFixed(2)}% ` +
          `(the ONNX file ${(100 * accuracy(probabilities, heldOut.labels)).toFixed(2)}%) of ${heldOut.count} held-out digits`,
      );

      const predicting = await prediction;
      assert.equal(predicting.code, 0, predicting.stderr);
      const predicted = (JSON.parse(predicting.stdout) as { label: string }[]).map((result) => result.label);
      assert.deepEqual(
        predicted,
        digits.map((digit) => digit.label),
      );
    });
  }

  const tuned = 'keras3-3.5.0-vivekchau-separate-activation-layers.keras';
  test(`cnnx train --model ${tuned} --dataset mnist-sample --epochs 1 fine-tunes it, and the run exports`, async (t) => {
    const run = join(work, 'tuned');
    const training = await runCnnx(
      [
        'train',
        '--model',
        join(fixtures.dir, tuned),
        '--dataset',
        'mnist-sample',
        '--epochs',
        '1',
        '--out',
        run,
        '--json',
      ],
      { cwd: work, timeoutMs: 600_000 },
    );
    assert.equal(training.code, 0, training.stderr);
    const manifest = JSON.parse(training.stdout);
    assert.equal(manifest.history.length, 1);
    assert.equal(manifest.stopReason, 'completed');
    assert.equal(manifest.keras.format, 'keras-zip');
    assert.equal(manifest.keras.kerasVersion, '3.5.0');
    assert.equal(manifest.inputScale, 'unit');
    assert.ok(
      manifest.history[0].valAccuracy >= 0.97,
      `validation accuracy ${manifest.history[0].valAccuracy}`,
    );

    const onnx = join(work, 'tuned.onnx');
    const exporting = await runCnnx(['export', '--model', run, '--out', onnx, '--json'], { cwd: work });
    assert.equal(exporting.code, 0, exporting.stderr);
    const written = JSON.parse(exporting.stdout);
    assert.ok(written.verification.random.maxAbsDiff <= 1e-4, JSON.stringify(written.verification));
    assert.equal(written.metadata['cnnx.run_id'], manifest.runId);
    const probabilities = await heldOutProbabilities(onnx);
    const heldOutAccuracy = accuracy(probabilities, heldOut.labels);
    t.diagnostic(
      `${manifest.dataset.trainCount} digits in ${manifest.timings.trainSeconds.toFixed(1)} s; ` +
        `held-out accuracy ${(100 * heldOutAccuracy).toFixed(2)}% after fine-tuning`,
    );
    assert.ok(heldOutAccuracy >= 0.97, `held-out accuracy after fine-tuning: ${heldOutAccuracy}`);
    const before = exported.get(tuned);
    if (before) {
      const moved = Math.max(...before.map((value, index) => Math.abs(value - probabilities[index]!)));
      assert.ok(moved > 1e-4, `fine-tuning changed the outputs by at most ${moved}`);
    }
  });

  const resumed = 'keras3-3.13.2-charm0625-batchnorm.keras';
  test(`cnnx train --model ${resumed} --limit 600 trains one epoch, --resume a second, and the run exports`, async () => {
    const run = join(work, 'resumed');
    const first = await runCnnx(
      [
        'train',
        '--model',
        join(fixtures.dir, resumed),
        '--dataset',
        'mnist-sample',
        '--limit',
        '600',
        '--epochs',
        '1',
        '--out',
        run,
      ],
      { cwd: work, timeoutMs: 300_000 },
    );
    assert.equal(first.code, 0, first.stderr);
    const second = await runCnnx(['train', '--resume', run, '--epochs', '2', '--json'], {
      cwd: work,
      timeoutMs: 300_000,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming .* after epoch 1/);
    const manifest = JSON.parse(second.stdout);
    assert.equal(manifest.history.length, 2);
    assert.equal(manifest.config.kerasFile, join(fixtures.dir, resumed));
    const exporting = await runCnnx(['export', '--model', run, '--out', join(work, 'resumed.onnx')], {
      cwd: work,
    });
    assert.equal(exporting.code, 0, exporting.stderr);
  });
});
