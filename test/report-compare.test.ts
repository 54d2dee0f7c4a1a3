import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { runCnnx as runCnnxWith } from './helpers/cli.js';

const runCnnx = (args: string[]) => runCnnxWith(args, { timeoutMs: 300000 });

interface Row {
  name: string;
  kind: string;
  parameters: number;
  accuracy: number;
  onnxBytes: number | null;
  latencyMs: number | null;
  imagesPerSecond: number | null;
  trainSeconds: number;
}

describe('cnnx compare', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cnnx-compare-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('a CNN and the four baselines on a small slice: one table, compare.json, compare.html and PNGs', async () => {
    const out = join(work, 'compare');
    const { code, stdout, stderr } = await runCnnx([
      'compare',
      '--models',
      'tiny',
      '--baselines',
      '--epochs',
      '1',
      '--baseline-epochs',
      '5',
      '--limit',
      '600',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(code, 0, stderr);
    const printed = JSON.parse(stdout) as { rows: Row[]; trainImages: number; testImages: number };
    assert.deepEqual(
      printed.rows.map((row) => row.name),
      ['tiny', 'logistic-regression', 'mlp', 'knn', 'linear-svm'],
    );
    assert.ok(
      Math.abs(printed.trainImages - 600) <= 10,
      `about 600 training images, got ${printed.trainImages}`,
    );
    const [cnn, ...baselines] = printed.rows as [Row, ...Row[]];
    assert.equal(cnn.kind, 'cnn');
    assert.ok((cnn.onnxBytes ?? 0) > 10_000, 'the CNN was exported to ONNX');
    assert.ok((cnn.latencyMs ?? 0) > 0 && (cnn.imagesPerSecond ?? 0) > 0, 'onnxruntime-node was timed');
    for (const row of baselines) {
      assert.equal(row.kind, 'baseline');
      assert.equal(row.onnxBytes, null);
      assert.ok(row.accuracy > 0.5, `${row.name} beats chance by far on digits (${row.accuracy})`);
    }
    // The terminal table: a heading row and one row per model.
    const table = stderr
      .split('\n')
      .filter((line) => /^(model|tiny|logistic-regression|mlp|knn|linear-svm)\s/.test(line));
    assert.equal(table.length, 6, stderr);

    const files = (await readdir(out)).sort();
    assert.deepEqual(files, [
      'compare-accuracy.png',
      'compare-accuracy.svg',
      'compare-table.png',
      'compare-table.svg',
      'compare.html',
      'compare.json',
    ]);
    const saved = JSON.parse(await readFile(join(out, 'compare.json'), 'utf8')) as { rows: Row[] };
    assert.deepEqual(saved.rows, printed.rows);
    for (const png of ['compare-accuracy.png', 'compare-table.png']) {
      assert.equal((await sharp(join(out, png)).metadata()).format, 'png');
    }
    const html = await readFile(join(out, 'compare.html'), 'utf8');
    assert.ok(html.includes('<td>linear-svm</td>'));
  });

  test('an unknown preset is a usage error naming the accepted ones', async () => {
    const { code, stderr } = await runCnnx(['compare', '--models', 'tiny,resnet']);
    assert.equal(code, 2);
    assert.match(
      stderr,
      /expected a comma-separated list of classic, basic, dropout, tiny, best for --models \(unknown: resnet\)/,
    );
  });
});
