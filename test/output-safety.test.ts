/**
 * Issue 20, defects 3, 8 and 10: what every command does with an output path that exists (refused with exit 1
 * and one line naming --force, unless it is cnnx's own output of the same kind), checked before any work; an
 * unwritable folder fails at once; `predict --report` is all or nothing; `--data-dir` works where `--dataset` does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeIdx, loadDataset } from '@cnnx/data';
import { exportToOnnx } from '@cnnx/export';
import { buildModel, initBackend } from '@cnnx/train';
import sharp from 'sharp';
import { type CliRun, CNNX_BIN, errorLine, runCnnx } from './helpers/cli.js';

let folder = '';
let modelPath = '';
let digit = '';
let truncated = '';

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCnnx(args, { cwd: folder, env: { XDG_CACHE_HOME: join(folder, 'cache'), ...env } });
}

/** Files and folders under `dir`, sorted, as relative paths. */
async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

/** An IDX pair named as MNIST's uncompressed files, in `dir`: `count` images, labels cycling 0-9. */
async function mnistFiles(dir: string, prefix: 'train' | 't10k', count: number): Promise<void> {
  const pixels = Uint8Array.from(
    { length: count * 784 },
    (_, i) => ((i % 784) * (1 + (Math.floor(i / 784) % 10))) % 256,
  );
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  await writeFile(join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx([count, 28, 28], pixels));
  await writeFile(join(dir, `${prefix}-labels-idx1-ubyte`), encodeIdx([count], labels));
}

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-output-safety-'));
  await initBackend('auto');
  const model = buildModel('tiny', { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
  modelPath = join(folder, 'model.onnx');
  await writeFile(modelPath, await exportToOnnx(model, { inputScale: 'unit' }));
  model.dispose();
  const dataset = await loadDataset('mnist-sample');
  digit = join(folder, 'seven.png');
  const png = await sharp(
    Uint8Array.from(dataset.images.subarray(0, 784), (v) => 255 - v),
    {
      raw: { width: 28, height: 28, channels: 1 },
    },
  )
    .resize(84, 84)
    .png()
    .toBuffer();
  await writeFile(digit, png);
  truncated = join(folder, 'truncated.png');
  await writeFile(truncated, png.subarray(0, Math.floor(png.byteLength / 2)));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('outputs that exist are not replaced without --force', () => {
  test('train --out <existing run> is refused before loading any data, and the run is kept', async () => {
    const out = join(folder, 'runs', 'mine');
    await mkdir(join(out, 'model'), { recursive: true });
    await writeFile(join(out, 'run.json'), '{"mine": true}');
    const result = await run(['train', '--dataset', 'mnist-sample', '--out', out, '--model', 'tiny']);
    assert.equal(result.code, 1, result.stderr);
    const line = errorLine(result);
    assert.match(line, /--out .*mine exists; continue a run in it with --resume .*--force/);
    assert.doesNotMatch(result.stderr, /backend:/, 'no training started');
    assert.equal(await readFile(join(out, 'run.json'), 'utf8'), '{"mine": true}');
  });

  test('evaluate --report DIR keeps the user’s own report.html, and refreshes its own report', async () => {
    const mine = join(folder, 'my-report');
    await mkdir(mine);
    await writeFile(join(mine, 'report.html'), '<p>my own notes</p>');
    const refused = await run([
      'evaluate',
      '--model',
      modelPath,
      '--dataset',
      'mnist-sample',
      '--report',
      mine,
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      errorLine(refused),
      /--report .*my-report exists and is not an earlier cnnx evaluation report; .*--force/,
    );
    assert.doesNotMatch(refused.stderr, /accuracy/, 'refused before scoring');
    assert.deepEqual(await listing(mine), ['report.html']);
    assert.equal(await readFile(join(mine, 'report.html'), 'utf8'), '<p>my own notes</p>');

    const own = join(folder, 'eval');
    for (let pass = 0; pass < 2; pass++) {
      const written = await run([
        'evaluate',
        '--model',
        modelPath,
        '--dataset',
        'mnist-sample',
        '--report',
        own,
      ]);
      assert.equal(written.code, 0, written.stderr);
    }
    assert.ok((await listing(own)).includes('report.html'));
    assert.deepEqual(
      (await readdir(folder)).filter((name) => name.startsWith('eval.')),
      [],
      'no temporary folder beside it',
    );
  });

  test('predict --report DIR keeps the user’s predictions.html', async () => {
    const mine = join(folder, 'my-predictions');
    await mkdir(mine);
    await writeFile(join(mine, 'predictions.html'), 'mine');
    const result = await run(['predict', '--model', modelPath, digit, '--report', mine]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      errorLine(result),
      /--report .*my-predictions exists and is not an earlier cnnx predictions report; .*--force/,
    );
    assert.equal(await readFile(join(mine, 'predictions.html'), 'utf8'), 'mine');
    const forced = await run(['predict', '--model', modelPath, digit, '--report', mine, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(await readFile(join(mine, 'predictions.html'), 'utf8'), /Written by cnnx/);
  });

  test('compare --out DIR with the user’s files is refused before training anything', async () => {
    const mine = join(folder, 'my-compare');
    await mkdir(mine);
    await writeFile(join(mine, 'compare.json'), '{"mine": true}');
    const result = await run([
      'compare',
      '--models',
      'tiny',
      '--epochs',
      '1',
      '--limit',
      '50',
      '--out',
      mine,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      errorLine(result),
      /--out .*my-compare exists and is not an earlier cnnx comparison; .*--force/,
    );
    assert.doesNotMatch(result.stderr, /training/, 'nothing trained');
    assert.equal(await readFile(join(mine, 'compare.json'), 'utf8'), '{"mine": true}');
  });

  test('data inspect --out DIR with other files is refused', async () => {
    const mine = join(folder, 'photos');
    await mkdir(mine);
    await writeFile(join(mine, 'samples.png'), 'my photo');
    const result = await run(['data', 'inspect', 'mnist-sample', '--out', mine]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(errorLine(result), /--out .*photos exists and is not a folder holding just samples\.png/);
    assert.equal(await readFile(join(mine, 'samples.png'), 'utf8'), 'my photo');
  });
});

describe('output folders that cannot be written fail before any work', () => {
  test('a folder on the way that is a file', async () => {
    await writeFile(join(folder, 'plain-file'), 'x');
    const result = await run([
      'train',
      '--dataset',
      'mnist-sample',
      '--out',
      'plain-file/run',
      '--model',
      'tiny',
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(errorLine(result), /--out plain-file\/run: .*plain-file is a file/);
  });

  test('a folder another user may not write in: train fails at once, not after training', async () => {
    // the child runs as an unprivileged user (root may write anywhere); as that user already, it runs as itself
    const locked = join(folder, 'locked');
    await mkdir(locked);
    await chmod(folder, 0o755);
    await chmod(locked, 0o555);
    const asRoot = process.getuid?.() === 0;
    const result = await new Promise<CliRun>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [CNNX_BIN, 'train', '--dataset', 'mnist-sample', '--out', join(locked, 'run'), '--model', 'tiny'],
        {
          cwd: folder,
          env: { ...process.env, HOME: folder, XDG_CACHE_HOME: join(folder, 'cache') },
          stdio: ['ignore', 'pipe', 'pipe'],
          ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: '', stderr });
      });
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(errorLine(result), /--out .*locked\/run: cannot write in .*locked \(permission denied\)/);
    assert.doesNotMatch(result.stderr, /backend:/, 'no training started');
  });
});

describe('predict --report is all or nothing', () => {
  test('one good and one truncated image: no report, exit 1', async () => {
    const report = join(folder, 'partial');
    const result = await run(['predict', '--model', modelPath, digit, truncated, '--report', report]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /truncated\.png/);
    assert.match(result.stderr, /wrote no report/);
    assert.deepEqual(
      (await readdir(folder)).filter((name) => name.startsWith('partial')),
      [],
      'no report folder and no temporary one',
    );
  });
});

describe('--data-dir works wherever --dataset does', () => {
  test('train and evaluate read mnist from --data-dir', async () => {
    const data = join(folder, 'my-data');
    await mkdir(data);
    await mnistFiles(data, 'train', 60);
    await mnistFiles(data, 't10k', 20);
    const out = join(folder, 'runs', 'from-data-dir');
    const trained = await run([
      ...['train', '--dataset', 'mnist', '--data-dir', data, '--out', out, '--model', 'tiny'],
      ...['--epochs', '1', '--batch-size', '16', '--validation-split', '0', '--json'],
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const manifest = JSON.parse(trained.stdout) as {
      dataset: { trainCount: number; files: { path: string }[] };
    };
    assert.equal(manifest.dataset.trainCount, 60);
    assert.ok(
      manifest.dataset.files.every((file) => file.path.startsWith(data)),
      JSON.stringify(manifest.dataset),
    );

    const scored = await run([
      ...['evaluate', '--model', join(out, 'model'), '--dataset', 'mnist', '--data-dir', data, '--json'],
    ]);
    assert.equal(scored.code, 0, scored.stderr);
    assert.equal((JSON.parse(scored.stdout) as { count: number }).count, 20);
  });
});
