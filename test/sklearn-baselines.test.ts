import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const python = '/usr/bin/python3';

interface ComparedRow {
  baseline: string;
  cnnxAccuracy: number;
  sklearnAccuracy: number;
  differencePoints: number;
  tolerancePoints: number;
  within: boolean;
}

test('scripts/check-sklearn-baselines.py: each cnnx baseline scores within its tolerance of scikit-learn', async (t) => {
  if (spawnSync(python, ['-c', 'import sklearn']).status !== 0) {
    t.skip(`${python} cannot import sklearn (Debian package python3-sklearn)`);
    return;
  }
  // A stratified sample of 2,000 training images keeps the run short; the full run is in the README.
  const { stdout } = await promisify(execFile)(
    python,
    ['scripts/check-sklearn-baselines.py', '--limit', '2000', '--json'],
    { cwd: root, timeout: 600_000, maxBuffer: 1 << 22 },
  );
  const report = JSON.parse(stdout) as { rows: ComparedRow[]; trainImages: number; testImages: number };
  assert.ok(Math.abs(report.trainImages - 2000) <= 10, `${report.trainImages} training images`);
  assert.equal(report.testImages, 1501);
  assert.deepEqual(
    report.rows.map((row) => [row.baseline, row.tolerancePoints]),
    [
      ['logistic-regression', 1],
      ['svc', 0.5],
      ['random-forest', 1],
      ['knn', 0.2],
    ],
  );
  for (const row of report.rows) {
    assert.ok(
      row.sklearnAccuracy > 0.8,
      `scikit-learn's ${row.baseline} learnt the digits (${row.sklearnAccuracy})`,
    );
    assert.ok(
      Math.abs(row.cnnxAccuracy - row.sklearnAccuracy) * 100 <= row.tolerancePoints,
      `${row.baseline}: cnnx ${row.cnnxAccuracy} vs scikit-learn ${row.sklearnAccuracy}`,
    );
    assert.equal(row.within, true);
  }
});
