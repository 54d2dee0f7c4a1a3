/**
 * `cnnx train` on its two kinds of engine (issue #16): onnxruntime (the training graph of @cnnx/export run by
 * @cnnx/runtime) and tfjs's wasm backend. A checkpoint written on one resumes on the other with the same
 * parameters, optimizer slots and step, so the loss continues where it stopped; SIGKILL mid-epoch loses only
 * the epoch; what the onnxruntime engine cannot train is said in one line naming the layer.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRandom } from '@cnnx/data';
import { keras2Layer, legacyH5, randomWeight } from '@cnnx/testing';
import { loadCheckpoint } from '@cnnx/train';
import { type CliRun, CNNX_BIN, errorLine, runCnnx } from './helpers/cli.js';

let folder = '';
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-training-engines-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

// 400 digits: 360 to train on (6 batches of 64), 40 to validate on
const SMALL = ['--dataset', 'mnist-sample', '--limit', '400', '--seed', '3'];

async function train(out: string, ...args: string[]): Promise<CliRun> {
  const run = await runCnnx(['train', '--out', join(folder, out), ...args]);
  assert.equal(run.code, 0, run.stderr);
  return run;
}

async function history(out: string): Promise<{ epoch: number; loss: number }[]> {
  const manifest = JSON.parse(await readFile(join(folder, out, 'run.json'), 'utf8'));
  return manifest.history;
}

/** The checkpoint's optimizer state: `iter`, and the slot names and values in the order they were saved. */
async function optimizerState(out: string): Promise<{ iter: number; slots: Map<string, Float32Array> }> {
  const { resume, model } = await loadCheckpoint(join(folder, out, 'checkpoint'));
  const [iter, ...slots] = resume.optimizerWeights;
  assert.equal(iter?.name, 'iter');
  const state = {
    iter: (iter.tensor.dataSync() as Int32Array)[0]!,
    slots: new Map(slots.map((slot) => [slot.name, Float32Array.from(slot.tensor.dataSync())])),
  };
  model.dispose();
  return state;
}

function largestDifference(a: Float32Array, b: Float32Array): number {
  let largest = 0;
  for (let index = 0; index < a.length; index += 1)
    largest = Math.max(largest, Math.abs(a[index]! - b[index]!));
  return largest;
}

describe('a checkpoint resumes on the other engine', () => {
  test('onnxruntime → wasm and wasm → onnxruntime continue the uninterrupted run', async () => {
    for (const [first, second] of [
      ['onnxruntime', 'wasm'],
      ['wasm', 'onnxruntime'],
    ] as const) {
      // The uninterrupted run is on the engine of the first epoch: from fresh weights, Adam's first steps
      // (about ±lr for every weight, whatever the gradient's size) turn the engines' 1e-5 differences into
      // about 1% in the slots after an epoch, while from the same state an epoch agrees to about 1e-6.
      const straight = await train(`straight-${first}`, ...SMALL, '--epochs', '2', '--backend', first);
      assert.match(straight.stderr, new RegExp(`training backend: ${first}`));
      if (first === 'onnxruntime')
        assert.match(straight.stderr, /training backend: onnxruntime \(cpu, \d+ threads?\)/);
      const expected = await history(`straight-${first}`);
      const end = await optimizerState(`straight-${first}`);
      assert.equal(end.iter, 12, 'two epochs of 6 steps');

      const out = `${first}-then-${second}`;
      const started = await train(out, ...SMALL, '--epochs', '1', '--backend', first);
      assert.match(started.stderr, new RegExp(`training backend: ${first}`));
      const stopped = await optimizerState(out);
      assert.equal(stopped.iter, 6, `${first}: one epoch of 6 steps`);
      assert.deepEqual([...stopped.slots.keys()], [...end.slots.keys()], 'tfjs names and order on both');

      const resumed = await train(out, '--resume', join(folder, out), '--epochs', '2', '--backend', second);
      assert.match(resumed.stderr, /resuming .* after epoch 1/);
      assert.match(resumed.stderr, new RegExp(`training backend: ${second}`));
      const after = await optimizerState(out);
      assert.equal(after.iter, 12, `${second} continued the step count`);
      // the engines' steps agree to about 1e-5, so the resumed epoch retraces the uninterrupted one (resuming
      // with Adam's slots zeroed instead moved epoch 2's loss by 0.08, 40× the tolerance)
      const [one, two] = await history(out);
      assert.ok(
        Math.abs(one!.loss - expected[0]!.loss) < 2e-3,
        `epoch 1: ${one!.loss} vs ${expected[0]!.loss}`,
      );
      assert.ok(
        Math.abs(two!.loss - expected[1]!.loss) < 2e-3,
        `epoch 2: ${two!.loss} vs ${expected[1]!.loss}`,
      );
      for (const [name, values] of end.slots) {
        const difference = largestDifference(values, after.slots.get(name)!);
        assert.ok(difference < 1e-3, `${out}: slot ${name} differs by ${difference}`);
      }
    }
  });
});

test('SIGKILL mid-epoch on onnxruntime, then --resume finishes the run there', async () => {
  const out = join(folder, 'killed');
  const args = ['train', '--dataset', 'mnist-sample', '--limit', '3000', '--epochs', '3'];
  const child = spawn(process.execPath, [CNNX_BIN, ...args, '--backend', 'onnxruntime', '--out', out], {
    stdio: 'ignore',
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_, signal) => resolve(signal)),
  );
  // the first checkpoint is written after epoch 1: kill the run in epoch 2
  const checkpoint = join(out, 'checkpoint', 'checkpoint.json');
  const deadline = Date.now() + 90_000;
  while (!existsSync(checkpoint) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(existsSync(checkpoint), 'the run wrote its first checkpoint');
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  assert.ok(!existsSync(join(out, 'run.json')), 'killed before the end');

  const resumed = await runCnnx(['train', '--resume', out]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming .* after epoch 1\b/);
  assert.match(resumed.stderr, /training backend: onnxruntime/);
  const manifest = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
  assert.deepEqual(
    manifest.history.map((epoch: { epoch: number }) => epoch.epoch),
    [1, 2, 3],
  );
  assert.equal(manifest.backend.name, 'onnxruntime');
  assert.equal(manifest.backend.device, 'cpu');
  assert.equal(typeof manifest.backend.threads, 'number');
});

describe('what the onnxruntime engine cannot train', () => {
  // Flatten → Activation(softplus) → Dense: tfjs trains softplus, the training graph has no gradient for it
  let softplus = '';
  before(async () => {
    const random = createRandom(5);
    softplus = join(folder, 'softplus.h5');
    const bytes = await legacyH5({
      modelConfig: {
        class_name: 'Sequential',
        config: {
          name: 'softplus',
          layers: [
            keras2Layer('InputLayer', { name: 'input_1', batch_input_shape: [null, 28, 28, 1] }),
            keras2Layer('Flatten', { name: 'flatten' }),
            keras2Layer('Activation', { name: 'soft', activation: 'softplus' }),
            keras2Layer('Dense', { name: 'dense', units: 10, activation: 'softmax', use_bias: true }),
          ],
        },
      },
      weights: {
        flatten: [],
        soft: [],
        dense: [
          randomWeight('dense/kernel:0', [784, 10], random, 0.02),
          randomWeight('dense/bias:0', [10], random, 0.1),
        ],
      },
    });
    await writeFile(softplus, bytes);
  });

  test('--backend onnxruntime: exit 1, one line naming the layer', async () => {
    const run = await runCnnx([
      'train',
      '--model',
      softplus,
      ...SMALL,
      '--epochs',
      '1',
      '--backend',
      'onnxruntime',
      '--out',
      join(folder, 'refused'),
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      errorLine(run),
      /layer 'soft' \(Activation\) is not supported by the onnxruntime training engine \(activation 'softplus'/,
    );
    assert.ok(!existsSync(join(folder, 'refused', 'run.json')));
  });

  test('--backend auto: says why it passed onnxruntime over, and trains on tfjs', async () => {
    const run = await train('fallback', '--model', softplus, ...SMALL, '--epochs', '1');
    assert.match(
      run.stderr,
      /backend onnxruntime skipped: layer 'soft' \(Activation\): activation 'softplus'/,
    );
    assert.match(run.stderr, /training backend: (wasm|tensorflow|cpu)/);
  });

  test('--device cuda without the CUDA provider: exit 1, one line', async (t) => {
    const run = await runCnnx([
      'train',
      ...SMALL,
      '--epochs',
      '1',
      '--device',
      'cuda',
      '--out',
      join(folder, 'cuda'),
    ]);
    if (run.code === 0) return t.skip('the CUDA provider is installed here');
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      errorLine(run),
      /^cnnx: device cuda cannot run the model: the CUDA execution provider is not installed/,
    );
    // refused before any work: no data loaded, no model built, no run folder
    assert.doesNotMatch(run.stdout + run.stderr, /training backend|Total params|training \w+ on/);
    assert.equal(existsSync(join(folder, 'cuda')), false);
  });
});
