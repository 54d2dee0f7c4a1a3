/**
 * `cnnx train` on data that cannot work, and what it says: issue #20 found messages about cnnx's insides
 * ("loss became NaN … lower the learning rate" for 1×1 images, "Start offset -1441393064 is outside the bounds"
 * for 1024×1024 ones, "use at most 0" for `--limit 5`). Each now names what the user gave and what to change.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeIdx } from '@cnnx/data';
import { errorLine, runCnnx } from './helpers/cli.js';

let folder = '';
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-train-messages-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** An IDX pair of `count` images of side × side, labels cycling through `classes`. */
async function idxImages(name: string, count: number, side: number, classes: number): Promise<string> {
  const pixels = Uint8Array.from({ length: count * side * side }, (_, i) => (i * 37) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % classes);
  const images = join(folder, `${name}-images-idx3-ubyte`);
  await writeFile(images, encodeIdx([count, side, side], pixels));
  await writeFile(join(folder, `${name}-labels-idx1-ubyte`), encodeIdx([count], labels));
  return `idx:${images}`;
}

describe('cnnx train says what the user should change', () => {
  test('1×1 images: too small for the model, not "loss became NaN"', async () => {
    const dataset = await idxImages('one-pixel', 40, 1, 2);
    const run = await runCnnx([
      'train',
      ...['--dataset', dataset, '--model', 'classic', '--batch-size', '8', '--epochs', '1'],
      ...['--out', join(folder, 'one')],
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      errorLine(run),
      /images of 1×1×1 are too small for classic: its layer MaxPooling2D '.*' shrinks them to \[0, 0, 32\]; use larger images/,
    );
  });

  test('images whose tensors outgrow the wasm backend: the size and what to shrink, not an int32 overflow', async (context) => {
    const dataset = await idxImages('large', 40, 512, 2);
    const run = await runCnnx([
      'train',
      ...['--dataset', dataset, '--model', 'tiny', '--batch-size', '32', '--epochs', '1'],
      ...['--backend', 'wasm', '--out', join(folder, 'large')],
    ]);
    if (/backend "wasm" cannot load/.test(run.stderr)) {
      context.skip('the wasm backend does not load here');
      return;
    }
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      errorLine(run),
      /training on images of 512×512×1 at batch 32 needs about \d+\.\d GB of tensors .* more than the 2\.1 GB the wasm backend can address: use smaller images or a smaller batch/,
    );
  });

  test('--limit 5 on a balanced set trains on 5 images', async () => {
    const dataset = await idxImages('balanced', 100, 28, 10);
    const run = await runCnnx([
      'train',
      ...['--dataset', dataset, '--model', 'tiny', '--limit', '5', '--batch-size', '4', '--epochs', '1'],
      ...['--validation-split', '0', '--out', join(folder, 'limited')],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr + run.stdout, /training tiny on 5 images/);
  });

  test('compare: a batch larger than the --limit set names --batch-size, not an internal name', async () => {
    const run = await runCnnx(
      ['compare', '--models', 'tiny', '--limit', '50', '--epochs', '1', '--out', join(folder, 'compare')],
      { cwd: folder },
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      errorLine(run),
      /--batch-size 64 is larger than the training set \(\d+ images with --limit 50\); use at most \d+/,
    );
  });
});
