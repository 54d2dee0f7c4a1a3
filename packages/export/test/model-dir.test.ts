import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';
import { exportToOnnx, ModelFormatError, readOnnx, UnsupportedLayerError, verifyOnnx } from '../src/index.js';
import { buildClassic, saveWithPlainTfjs } from './helpers.js';

let root: string;
let modelDir: string;
const model = buildClassic();

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cnnx-export-dir-'));
  modelDir = join(root, 'classic');
  await saveWithPlainTfjs(model, modelDir);
});
after(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

test('a model saved by a plain tfjs script exports from its folder and verifies', async () => {
  const loaded = await loadModel(modelDir);
  const bytes = await exportToOnnx(modelDir, {
    classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
  });
  const info = readOnnx(bytes);
  assert.equal(info.parameterCount, model.countParams());
  const result = await verifyOnnx(bytes, loaded);
  assert.ok(result.maxAbsDiff < 1e-5, `max abs diff ${result.maxAbsDiff}`);
  assert.equal(result.agreement, 1);
  // The folder's weights are the in-memory model's: the ONNX agrees with the original model too.
  assert.ok((await verifyOnnx(bytes, model)).maxAbsDiff < 1e-5);
  loaded.dispose();
});

test('weights split across several shards load in order', async () => {
  const dir = join(root, 'sharded');
  await saveWithPlainTfjs(model, dir);
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const weights = await readFile(join(dir, 'group1-shard1of1.bin'));
  const cut = 1000_000;
  await writeFile(join(dir, 'group1-shard1of2.bin'), weights.subarray(0, cut));
  await writeFile(join(dir, 'group1-shard2of2.bin'), weights.subarray(cut));
  json.weightsManifest[0].paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin'];
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  const loaded = await loadModel(dir);
  assert.ok((await verifyOnnx(await exportToOnnx(loaded), model)).maxAbsDiff < 1e-5);
  loaded.dispose();
});

test('a corrupt model.json is one clear ModelFormatError naming the file', async () => {
  const dir = join(root, 'corrupt');
  await saveWithPlainTfjs(model, dir);
  await writeFile(join(dir, 'model.json'), '{"modelTopology": {');
  await assert.rejects(
    exportToOnnx(dir),
    (error: unknown) =>
      error instanceof ModelFormatError &&
      error.file === join(dir, 'model.json') &&
      /not valid JSON/.test(error.message) &&
      !error.message.includes('\n'),
  );
  await writeFile(join(dir, 'model.json'), '{"hello": 1}');
  await assert.rejects(exportToOnnx(dir), /expected an object with 'modelTopology'/);
});

test('a missing or short weight shard is one clear ModelFormatError', async () => {
  const dir = join(root, 'missing');
  await saveWithPlainTfjs(model, dir);
  await rm(join(dir, 'group1-shard1of1.bin'));
  await assert.rejects(
    exportToOnnx(dir),
    (error: unknown) =>
      error instanceof ModelFormatError &&
      error.file === join(dir, 'group1-shard1of1.bin') &&
      /weight shard listed in model.json is missing/.test(error.message),
  );
  const short = join(root, 'short');
  await saveWithPlainTfjs(model, short);
  await truncate(join(short, 'group1-shard1of1.bin'), 1000);
  await assert.rejects(exportToOnnx(short), /weight shards hold 1000 bytes but model.json describes 1686568/);
  await assert.rejects(exportToOnnx(join(root, 'nowhere')), /model.json: not found/);
});

test('an unsupported layer in a saved folder raises UnsupportedLayerError', async () => {
  const dir = join(root, 'lstm');
  const lstm = tf.sequential({ layers: [tf.layers.lstm({ inputShape: [4, 3], units: 2 })] });
  await saveWithPlainTfjs(lstm, dir);
  await assert.rejects(
    exportToOnnx(dir),
    (error: unknown) => error instanceof UnsupportedLayerError && error.layer === 'LSTM',
  );
  lstm.dispose();
});
