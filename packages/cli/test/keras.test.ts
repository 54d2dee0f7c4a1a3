// Keras files through the real `cnnx` command: small files the test writes (h5wasm, fflate) for each bad input
// and for --input-scale, whose effect is checked against a forward pass computed here and against
// onnxruntime's own scaling of the exported file.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRandom, type Dataset, loadDataset, parseInputScale, scaleTable } from '@cnnx/data';
import { type Json, keras2Layer, kerasZip, legacyH5, randomWeight, type TestWeight } from '@cnnx/testing';
import { limitImages, logLoss } from '@cnnx/train';
import sharp from 'sharp';
import { type CnnxResult, spawnCnnx } from './helpers/spawn-cnnx.js';

let folder = '';
let test: Dataset;

function cnnx(...args: string[]): CnnxResult {
  return spawnCnnx(folder, args);
}

/** The non-empty lines a command printed on stderr. */
function lines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '');
}

// The model the input-scale tests run: 28×28×1 → Flatten → Dense 10 softmax, weights small enough that raw
// 0-255 pixels, ÷255 pixels and standardised pixels give three clearly different outputs.
const kernel = randomWeight('dense/kernel:0', [784, 10], createRandom(11), 0.02);
const bias = randomWeight('dense/bias:0', [10], createRandom(12), 0.1);

function denseConfig(extra: Json[] = [], units = 10): Json {
  return {
    class_name: 'Sequential',
    config: {
      name: 'digits',
      layers: [
        keras2Layer('InputLayer', { name: 'input_1', batch_input_shape: [null, 28, 28, 1] }),
        keras2Layer('Flatten', { name: 'flatten' }),
        ...extra,
        keras2Layer('Dense', { name: 'dense', units, activation: 'softmax', use_bias: true }),
      ],
    },
  };
}

function legacyFile(weights: TestWeight[], extra: Json[] = []): Promise<Uint8Array> {
  return legacyH5({ modelConfig: denseConfig(extra), weights: { flatten: [], dense: weights } });
}

/** The dense model's probabilities on `set`, its bytes scaled as `scale` says, computed here in float64. */
function expectedProbabilities(set: Dataset, scale: string): Float32Array {
  const table = scaleTable(parseInputScale(scale));
  const probabilities = new Float32Array(set.count * 10);
  for (let image = 0; image < set.count; image += 1) {
    const logits = Array.from(bias.values, Number);
    for (let pixel = 0; pixel < 784; pixel += 1) {
      const value = table[set.images[image * 784 + pixel]!]!;
      for (let unit = 0; unit < 10; unit += 1) logits[unit]! += value * kernel.values[pixel * 10 + unit]!;
    }
    const largest = Math.max(...logits);
    const exps = logits.map((logit) => Math.exp(logit - largest));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((exp, unit) => {
      probabilities[image * 10 + unit] = exp / sum;
    });
  }
  return probabilities;
}

/** The training loop's loss on `set`: the mean of −log(p[true] + 1e-7). */
function trainingLoss(set: Dataset, scale: string): number {
  const probabilities = expectedProbabilities(set, scale);
  let total = 0;
  for (let image = 0; image < set.count; image += 1) {
    total -= Math.log(probabilities[image * 10 + set.labels[image]!]! + 1e-7);
  }
  return total / set.count;
}

function standardScale(): string {
  return 'standard:0.1307:0.3081';
}

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-cli-keras-'));
  test = await loadDataset('mnist-sample', { split: 'test', seed: 42 });
  await writeFile(join(folder, 'digits.h5'), await legacyFile([kernel, bias]));
  // the same HDF5 bytes under a name that says nothing: told by its bytes
  await copyFile(join(folder, 'digits.h5'), join(folder, 'digits.model'));
  // the bad inputs, one file each
  await writeFile(join(folder, 'notes.h5'), 'these are my notes, not a model\n');
  const whole = await readFile(join(folder, 'digits.h5'));
  await writeFile(join(folder, 'truncated.h5'), whole.subarray(0, Math.floor(whole.byteLength / 2)));
  await writeFile(
    join(folder, 'no-weights.keras'),
    await kerasZip({ config: denseConfig(), vars: {}, withoutWeights: true }),
  );
  await writeFile(
    join(folder, 'wrong-shape.h5'),
    await legacyFile([randomWeight('dense/kernel:0', [576, 10], createRandom(1)), bias]),
  );
  await writeFile(
    join(folder, 'lstm.h5'),
    await legacyFile([kernel, bias], [keras2Layer('LSTM', { name: 'lstm_1', units: 4 })]),
  );
  // one held-out digit as a photo would show it: dark ink on white, 3× the size
  const ink = Uint8Array.from(test.images.subarray(0, 784), (value) => 255 - value);
  await sharp(ink, { raw: { width: 28, height: 28, channels: 1 } })
    .resize(84, 84)
    .png()
    .toFile(join(folder, 'digit.png'));
});

after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('bad Keras files: one line, exit 1, nothing written', () => {
  const cases = [
    [
      'neither HDF5 nor a Keras zip',
      'notes.h5',
      /notes\.h5: neither an HDF5 file \(\.h5\) nor a Keras zip \(\.keras\): it starts with 74 68 65 73/,
    ],
    ['a truncated file', 'truncated.h5', /truncated\.h5: not a readable HDF5 file \(truncated file/],
    [
      'missing weights',
      'no-weights.keras',
      /no-weights\.keras: missing weights: the archive has no model\.weights\.h5/,
    ],
    [
      'a weight of the wrong shape',
      'wrong-shape.h5',
      /wrong-shape\.h5: layer 'dense' \(Dense\): weight .* has shape \[576, 10\] in the file, the layer needs kernel \[784, 10\]/,
    ],
    [
      'an unsupported layer',
      'lstm.h5',
      /lstm\.h5: layer 'lstm_1' \(LSTM\) is not supported by the Keras reader; supported: Activation, Add, .*Conv2D/,
    ],
  ] as const;
  for (const [label, file, pattern] of cases) {
    it(`${label}: cnnx export`, () => {
      const { code, stderr } = cnnx('export', '--model', file, '--out', 'refused.onnx');
      assert.equal(code, 1, stderr);
      assert.equal(lines(stderr).length, 1, stderr);
      assert.match(stderr, new RegExp(`^cnnx: ${pattern.source}`));
      assert.equal(existsSync(join(folder, 'refused.onnx')), false);
    });
  }

  it('an unsupported layer: cnnx train writes no run; predict and inspect say the same line', () => {
    for (const args of [
      ['train', '--model', 'lstm.h5', '--dataset', 'mnist-sample', '--out', 'refused-run'],
      ['predict', '--model', 'lstm.h5', 'digit.png'],
      ['inspect', 'lstm.h5'],
    ]) {
      const { code, stderr } = cnnx(...args);
      assert.equal(code, 1, `${args[0]}: ${stderr}`);
      assert.equal(lines(stderr).length, 1, stderr);
      assert.match(stderr, /^cnnx: .*lstm\.h5: layer 'lstm_1' \(LSTM\) is not supported/);
    }
    assert.equal(existsSync(join(folder, 'refused-run')), false);
  });

  it('cnnx serve and cnnx bench take ONNX only, and say how to make it', () => {
    for (const command of ['serve', 'bench']) {
      const { code, stderr } = cnnx(command, '--model', 'digits.model');
      assert.equal(code, 1, stderr);
      assert.equal(lines(stderr).length, 1, stderr);
      assert.match(
        stderr,
        new RegExp(
          `digits\\.model is a Keras file; cnnx ${command} runs an \\.onnx file: make one with cnnx export --model`,
        ),
      );
    }
  });

  it('a bad --input-scale is a usage error (exit 2) naming the flag and the value', () => {
    const { code, stderr } = cnnx(
      'evaluate',
      '--model',
      'digits.h5',
      '--dataset',
      'mnist-sample',
      '--input-scale',
      'half',
    );
    assert.equal(code, 2);
    assert.equal(lines(stderr).length, 1, stderr);
    assert.match(stderr, /--input-scale.*'half'/);
  });
});

describe('--input-scale reaches the pixels, whichever engine runs the model', () => {
  it('cnnx inspect shows the layer table with Keras counts, the version and the backend', () => {
    const text = cnnx('inspect', 'digits.model');
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stderr,
      /^Keras model "digits": legacy HDF5 \(\.h5\), Keras 2\.3\.1, backend tensorflow$/m,
    );
    assert.match(text.stderr, /^dense \(Dense\) +\(None, 10\) +7,850$/m);
    assert.match(text.stderr, /^Total params: 7,850$/m);
    const json = cnnx('inspect', 'digits.h5', '--json', '--input-scale', 'none');
    assert.equal(json.code, 0, json.stderr);
    const info = JSON.parse(json.stdout);
    assert.equal(info.parameters, 7850);
    assert.equal(info.kerasVersion, '2.3.1');
    assert.equal(info.backend, 'tensorflow');
    assert.equal(info.inputScale, 'none');
    assert.deepEqual(
      info.layers.map((layer: { className: string }) => layer.className),
      ['InputLayer', 'Flatten', 'Dense'],
    );
  });

  it('cnnx evaluate on the Keras file (tfjs) and on its ONNX export (onnxruntime) give the loss computed here', () => {
    const losses: Record<string, number> = {};
    for (const scale of ['unit', 'none', standardScale()]) {
      const tfjs = cnnx(
        'evaluate',
        '--model',
        'digits.model',
        '--dataset',
        'mnist-sample',
        '--input-scale',
        scale,
        '--json',
      );
      assert.equal(tfjs.code, 0, tfjs.stderr);
      const loss = JSON.parse(tfjs.stdout).loss as number;
      // cnnx evaluate's loss is scikit-learn's log_loss (logLoss), on these probabilities
      const expected = logLoss(expectedProbabilities(test, scale), test.labels, 10);
      assert.ok(
        Math.abs(loss - expected) <= 1e-4 * Math.max(1, expected),
        `${scale}: ${loss} vs ${expected}`,
      );
      losses[scale] = loss;
    }
    // the three scales give losses far apart (100× the tolerance), so a scale left unapplied cannot pass
    assert.ok(Math.abs(losses.unit! - losses.none!) > 1, JSON.stringify(losses));
    assert.ok(Math.abs(losses.unit! - losses[standardScale()]!) > 0.01, JSON.stringify(losses));

    const exported = cnnx(
      'export',
      '--model',
      'digits.h5',
      '--input-scale',
      'none',
      '--out',
      'none.onnx',
      '--json',
    );
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(JSON.parse(exported.stdout).metadata['cnnx.input_scale'], 'none');
    const onnx = cnnx('evaluate', '--model', 'none.onnx', '--dataset', 'mnist-sample', '--json');
    assert.equal(onnx.code, 0, onnx.stderr);
    assert.ok(Math.abs(JSON.parse(onnx.stdout).loss - losses.none!) <= 1e-4 * losses.none!);
  });

  it('cnnx predict on the Keras file gives the probabilities onnxruntime gives for its export', () => {
    const top = (result: CnnxResult) => {
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout)[0].top as { label: string; probability: number }[];
    };
    const keras = top(
      cnnx('predict', '--model', 'digits.h5', '--input-scale', 'none', '--top', '10', '--json', 'digit.png'),
    );
    const onnx = top(cnnx('predict', '--model', 'none.onnx', '--top', '10', '--json', 'digit.png'));
    // (the evaluate test shows that unit and none give different outputs, so a scale left unapplied shows here)
    const byLabel = (entries: typeof keras) =>
      Object.fromEntries(entries.map((entry) => [entry.label, entry.probability]));
    const [fromKeras, fromOnnx] = [byLabel(keras), byLabel(onnx)];
    assert.equal(Object.keys(fromOnnx).length, 10);
    const largest = Math.max(
      ...Object.keys(fromOnnx).map((label) => Math.abs(fromKeras[label]! - fromOnnx[label]!)),
    );
    assert.ok(largest <= 1e-5, `tfjs vs onnxruntime with input scale none: ${largest}`);
  });

  it('cnnx train fine-tunes on the pixels scaled as asked, and the run and its export keep the scale', async () => {
    // the first step's loss is the model's loss before any update, over the whole (single-batch) training set
    const limited = limitImages(await loadDataset('mnist-sample', { split: 'train' }), 200, 42 + 2);
    const run = cnnx(
      'train',
      '--model',
      'digits.h5',
      '--dataset',
      'mnist-sample',
      '--limit',
      '200',
      '--validation-split',
      '0',
      '--batch-size',
      String(limited.count),
      '--epochs',
      '1',
      '--input-scale',
      'none',
      '--out',
      'raw-run',
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const manifest = JSON.parse(run.stdout);
    assert.equal(manifest.inputScale, 'none');
    assert.equal(manifest.config.inputScale, 'none');
    assert.equal(manifest.keras.format, 'hdf5');
    const expected = trainingLoss(limited, 'none');
    const loss = manifest.history[0].loss as number;
    assert.ok(Math.abs(loss - expected) <= 1e-4 * expected, `first-step loss ${loss}, expected ${expected}`);

    const exported = cnnx('export', '--model', 'raw-run', '--out', 'raw-run.onnx', '--json');
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(JSON.parse(exported.stdout).metadata['cnnx.input_scale'], 'none');

    const resumed = cnnx('train', '--resume', 'raw-run', '--epochs', '2', '--input-scale', 'unit');
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.match(resumed.stderr, /--input-scale unit: the run in raw-run trains with none/);
  });
});
