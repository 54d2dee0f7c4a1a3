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

  test('a CNN and every baseline on a small slice: the tables, compare.json, compare.html and PNGs', async () => {
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
    const printed = JSON.parse(stdout) as {
      rows: Row[];
      trainImages: number;
      testImages: number;
      baselines: string;
      baselineTrainImages: number;
    };
    const baselineNames = ['logistic-regression', 'svc', 'random-forest', 'knn', 'mlp'];
    assert.deepEqual(
      printed.rows.map((row) => row.name),
      ['tiny', ...baselineNames],
    );
    assert.equal(printed.baselines, baselineNames.join(','));
    assert.equal(printed.baselineTrainImages, printed.trainImages);
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
      .filter((line) =>
        /^(model|tiny|logistic-regression|svc|random-forest|knn|mlp)\s+(kind|cnn|baseline)\s/.test(line),
      );
    assert.equal(table.length, 7, stderr);
    // Then the notebook's table: scikit-learn's names and three decimals, the CNN last.
    const svc = printed.rows.find((row) => row.name === 'svc') as Row;
    const notebook = stderr
      .slice(stderr.lastIndexOf('\nmodel ') + 1)
      .split('\n')
      .slice(0, 7);
    assert.match(notebook[0] ?? '', /^model\s+accuracy$/);
    assert.deepEqual(
      notebook.slice(1).map((line) => line.split(/\s{2,}/)[0]),
      [
        'LogisticRegression(max_iter=1000)',
        'SVC()',
        'RandomForestClassifier(n_estimators=100)',
        'KNeighborsClassifier(n_neighbors=3)',
        'mlp (cnnx)',
        'tiny (CNN)',
      ],
    );
    assert.match(notebook[2] ?? '', new RegExp(`^SVC\\(\\)\\s+${svc.accuracy.toFixed(3)}$`));

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
    assert.ok(html.includes('<td>random-forest</td>'));
    assert.ok(
      html.includes(`<tr><td><code>SVC()</code></td><td>${svc.accuracy.toFixed(3)}</td><td>svc</td></tr>`),
      'compare.html lists the baselines as the notebook does',
    );
  });

  test('--baselines svc,knn picks two, and --baseline-limit trains them on a stratified sample', async () => {
    const out = join(work, 'picked');
    const { code, stdout, stderr } = await runCnnx([
      'compare',
      '--models',
      'tiny',
      '--epochs',
      '1',
      '--limit',
      '600',
      '--baselines',
      'knn,svc',
      '--baseline-limit',
      '200',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(code, 0, stderr);
    const printed = JSON.parse(stdout) as { rows: Row[]; baselineTrainImages: number; trainImages: number };
    assert.deepEqual(
      printed.rows.map((row) => row.name),
      ['tiny', 'knn', 'svc'],
    );
    assert.ok(Math.abs(printed.baselineTrainImages - 200) <= 10, `${printed.baselineTrainImages} images`);
    assert.match(stderr, /baselines: a stratified sample of \d+ of the \d+ training images/);
    assert.match(stderr, /svc: accuracy \d+\.\d\d% in \d+\.\d s \(\d+ support vectors, gamma 0\.\d+\)/);
  });

  test('an unknown baseline is a usage error: one line that lists the names', async () => {
    const { code, stdout, stderr } = await runCnnx([
      'compare',
      '--models',
      'tiny',
      '--baselines',
      'svc,forest',
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(
      stderr.trim(),
      "error: option '--baselines [names]' argument 'svc,forest' is invalid. unknown baseline 'forest'; expected a comma-separated list of logistic-regression, svc, random-forest, knn, mlp",
    );
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
