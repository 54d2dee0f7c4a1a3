/**
 * A model whose weights hold NaN (what a diverged training leaves): `cnnx predict` used to exit 0 printing
 * `NaN%`, `cnnx serve` started, and export's check reported "differs by Infinity" beside "agreement 100.00%".
 * Each must now stop with exit 1 and one line that says the weights are not numbers.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportToOnnx, NonFiniteWeightError, VerificationError, verifyOnnx } from '@cnnx/export';
import { buildModel, initBackend, NonFiniteOutputError, predict, saveModel } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { runCnnx } from './helpers/cli.js';

let folder = '';
let image = '';
let nanFolder = '';
let nanOnnx = '';
let goodOnnx: Uint8Array;
let nanModel: tf.LayersModel;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-non-finite-'));
  await initBackend('cpu');
  const good = buildModel('tiny', { inputShape: [28, 28, 1], numClasses: 10, seed: 8 });
  // The output layer's bias, made distinct so it can be found in the ONNX file (1-D weights keep their order).
  const output = good.layers[good.layers.length - 1]!;
  const [kernel, bias] = output.getWeights() as [tf.Tensor, tf.Tensor];
  const values = Float32Array.from({ length: bias.size }, (_, i) => 0.01 * (i + 1) + 0.001234);
  output.setWeights([kernel, tf.tensor(values, bias.shape)]);
  goodOnnx = await exportToOnnx(good);
  const needle = Buffer.from(values.buffer.slice(0));
  values[0] = Number.NaN;
  output.setWeights([kernel, tf.tensor(values, bias.shape)]);
  nanModel = good;
  nanFolder = join(folder, 'nan-model');
  await saveModel(nanModel, nanFolder);
  const bytes = Buffer.from(goodOnnx);
  const at = bytes.indexOf(needle);
  assert.ok(at > 0 && bytes.indexOf(needle, at + 1) === -1, 'the kernel is in the ONNX file once');
  bytes.writeFloatLE(Number.NaN, at);
  nanOnnx = join(folder, 'nan.onnx');
  await writeFile(nanOnnx, bytes);
  image = join(folder, 'seven.png');
  await sharp({ create: { width: 28, height: 28, channels: 3, background: '#fff' } })
    .png()
    .toFile(image);
});
after(async () => {
  nanModel?.dispose();
  await rm(folder, { recursive: true, force: true });
});

/** Exit 1 with one error line (`cnnx: …`, no stack) that matches; progress lines may come before it. */
function assertOneLine(run: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  const errors = run.stderr.split('\n').filter((line) => line.startsWith('cnnx: '));
  assert.equal(errors.length, 1, run.stderr);
  assert.match(errors[0]!, pattern);
  assert.ok(!/^\s+at /m.test(run.stderr), 'no stack trace');
}

describe('models whose weights hold NaN', () => {
  test('cnnx predict on the ONNX file exits 1 naming the initializer', async () => {
    assertOneLine(
      await runCnnx(['predict', '--model', nanOnnx, image]),
      /holds NaN at index 0: its weights are not numbers/,
    );
  });

  test('cnnx predict on the tfjs folder exits 1 instead of printing NaN%', async () => {
    assertOneLine(
      await runCnnx(['predict', '--model', nanFolder, image]),
      /output for image 0 is NaN: its weights hold NaN/,
    );
    await assert.rejects(predict(nanModel, new Uint8Array(784), [28, 28, 1]), NonFiniteOutputError);
  });

  test('cnnx serve refuses to start', async () => {
    const run = await runCnnx(['serve', '--model', nanOnnx, '--port', '0'], { timeoutMs: 60_000 });
    assertOneLine(run, /holds NaN at index 0/);
  });

  test('cnnx export exits 1 naming the layer and writes nothing; verify names the NaN', async () => {
    const out = join(folder, 'exported.onnx');
    assertOneLine(
      await runCnnx(['export', '--model', nanFolder, '--out', out]),
      /layer '.*' weight '.*\/bias' holds NaN at index 0: a model whose weights are not finite numbers cannot be exported/,
    );
    assert.ok(!existsSync(out), 'no file written');
    await assert.rejects(exportToOnnx(nanModel), NonFiniteWeightError);
    await assert.rejects(verifyOnnx(goodOnnx, nanModel), (error: unknown) => {
      assert.ok(error instanceof VerificationError, String(error));
      assert.match(error.message, /^tfjs output '.*' is NaN at value \d+ for finite inputs/);
      return true;
    });
  });
});
