import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { type CnnxResult, spawnCnnx } from './helpers/spawn-cnnx.js';

let folder = '';

function cnnx(...args: string[]): CnnxResult {
  return spawnCnnx(folder, args);
}

/** The lines cnnx itself printed on stderr (tfjs prints a banner of its own when it loads). */
function cnnxLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('cnnx:'));
}

/** Saves a model the way a plain tfjs program does: model.json + one weight shard, no cnnx code. */
async function savePlain(model: tf.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: 'a plain tfjs script',
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

before(async () => {
  await tf.setBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'cnnx-cli-export-'));
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  await savePlain(model, join(folder, 'digits'));
  await writeFile(
    join(folder, 'digits', 'manifest.json'),
    JSON.stringify({ runId: 'run-7', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] }),
  );
  const lstm = tf.sequential({ layers: [tf.layers.lstm({ inputShape: [4, 3], units: 2 })] });
  await savePlain(lstm, join(folder, 'lstm'));
  await savePlain(model, join(folder, 'corrupt'));
  await writeFile(join(folder, 'corrupt', 'model.json'), '{"modelTopology": ');
  await savePlain(model, join(folder, 'missing'));
  await rm(join(folder, 'missing', 'weights.bin'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('cnnx export', () => {
  it('exports, verifies on random and dataset images, writes a Triton repository, and prints JSON', async () => {
    const { code, stdout, stderr } = cnnx(
      'export',
      '--model',
      'digits',
      '--out',
      'digits.onnx',
      '--calibration',
      'mnist-sample',
      '--calibration-count',
      '64',
      '--triton',
      'triton',
      '--json',
    );
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout);
    assert.equal(result.opset, 17);
    assert.equal(result.metadata['cnnx.run_id'], 'run-7');
    assert.ok(result.verification.random.maxAbsDiff < 1e-4);
    assert.equal(result.verification.images.samples, 1000);
    assert.ok(result.verification.images.agreement === 1);
    assert.match(stderr, /verified on 1000 dataset images: max \|Δ\| /);
    const onnx = await readFile(join(folder, 'digits.onnx'));
    assert.equal(onnx.byteLength, result.bytes);
    assert.deepEqual(await readFile(join(folder, 'triton', 'digits', '1', 'model.onnx')), onnx);
    const config = await readFile(join(folder, 'triton', 'digits', 'config.pbtxt'), 'utf8');
    assert.match(config, /backend: "onnxruntime"/);
    assert.match(config, /dims: \[ 28, 28, 1 \]/);
  });

  it('cnnx inspect prints inputs, outputs, opset, metadata and operators', () => {
    const json = cnnx('inspect', 'digits.onnx', '--json');
    assert.equal(json.code, 0, json.stderr);
    const info = JSON.parse(json.stdout);
    assert.deepEqual(info.inputs, [{ name: 'input', type: 'float32', shape: ['batch', 28, 28, 1] }]);
    assert.deepEqual(info.operators, {
      Conv: 1,
      Flatten: 1,
      Gemm: 1,
      MaxPool: 1,
      Relu: 1,
      Softmax: 1,
      Transpose: 1,
    });
    const text = cnnx('inspect', 'digits.onnx');
    assert.equal(text.code, 0);
    assert.match(text.stderr, /input {6}input: float32 \[batch, 28, 28, 1\]/);
    assert.match(text.stderr, /metadata {3}cnnx\.run_id = run-7/);
    assert.match(text.stderr, /Transpose {14}1/);
    const bad = cnnx('inspect', 'digits');
    assert.equal(bad.code, 1);
  });

  it('--input-layout nchw --opset 13 --quantize fp16 --no-verify', () => {
    const { code, stderr } = cnnx(
      'export',
      '--model',
      'digits',
      '--out',
      'nchw.onnx',
      '--input-layout',
      'nchw',
      '--opset',
      '13',
      '--quantize',
      'fp16',
      '--no-verify',
    );
    assert.equal(code, 0, stderr);
    const info = JSON.parse(cnnx('inspect', 'nchw.onnx', '--json').stdout);
    assert.deepEqual(info.inputs[0].shape, ['batch', 1, 28, 28]);
    assert.equal(info.opset, 13);
    assert.equal(info.operators.Transpose, undefined);
    assert.equal(info.metadata['cnnx.quantize'], 'fp16');
  });

  for (const [label, args, pattern] of [
    [
      'an unsupported layer',
      ['--model', 'lstm'],
      /layer class 'LSTM' is not supported .*supported: .*Conv2D/,
    ],
    ['a corrupt model.json', ['--model', 'corrupt'], /corrupt\/model\.json: not valid JSON/],
    [
      'missing weight shards',
      ['--model', 'missing'],
      /missing\/weights\.bin: weight shard listed in model\.json is missing/,
    ],
    [
      'an unknown opset',
      ['--model', 'digits', '--opset', '30'],
      /--opset 30 is not supported; expected an opset from 13 to 21/,
    ],
  ] as const) {
    it(`${label}: one line, exit 1, no output file`, () => {
      const { code, stderr } = cnnx('export', ...args, '--out', 'refused.onnx');
      assert.equal(code, 1, stderr);
      const lines = cnnxLines(stderr);
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, pattern);
      assert.doesNotMatch(stderr, /\n\s+at /);
      assert.equal(existsSync(join(folder, 'refused.onnx')), false);
    });
  }
});
