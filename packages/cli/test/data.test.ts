import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CnnxResult, spawnCnnx } from './helpers/spawn-cnnx.js';

let folder = '';

function cnnx(...args: string[]): CnnxResult {
  return spawnCnnx(folder, args, { ...process.env, XDG_CACHE_HOME: join(folder, 'cache') });
}

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-cli-data-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('cnnx data inspect', () => {
  it('prints counts per class, shape and pixel statistics as JSON, and writes the PNGs', async () => {
    const { code, stdout } = cnnx('data', 'inspect', 'mnist-sample', '--json', '--out', 'inspect');
    assert.equal(code, 0);
    const summary = JSON.parse(stdout);
    assert.equal(summary.count, 10_000);
    assert.deepEqual(summary.shape, [28, 28, 1]);
    assert.deepEqual(summary.perClass[1], { label: '1', count: 1127 });
    assert.ok(summary.pixel.max === 255 && summary.pixel.mean > 0);
    const sharp = (await import('sharp')).default;
    const grid = await sharp(join(folder, 'inspect', 'samples.png')).metadata();
    assert.equal(grid.format, 'png');
    assert.ok((grid.height ?? 0) >= 10 * 28);
    assert.equal((await sharp(join(folder, 'inspect', 'label-histogram.png')).metadata()).format, 'png');
  });

  it('turns every bad input into one line naming the file and exit code 1', async () => {
    await writeFile(join(folder, 'short.csv'), 'label,a,b\n1,2,3\n4,5\n');
    await writeFile(join(folder, 'words.csv'), 'label,a,b\n1,2,three\n');
    await writeFile(join(folder, 'empty.csv'), '');
    await mkdir(join(folder, 'no-classes'));
    await mkdir(join(folder, 'empty-class', 'cats'), { recursive: true });
    await mkdir(join(folder, 'not-image', 'cats'), { recursive: true });
    await writeFile(join(folder, 'not-image', 'cats', 'a.png'), 'text');
    const cases: [string, RegExp][] = [
      ['csv:short.csv', /short\.csv: line 3 has 2 columns, expected 3/],
      ['csv:words.csv', /words\.csv: line 2, column 3: "three" is not a number/],
      ['csv:empty.csv', /empty\.csv: is empty/],
      ['idx:missing-folder', /missing-folder: does not exist/],
      ['images:no-classes', /no-classes: has no class subfolders/],
      ['images:empty-class', /cats: class folder "cats" has no images/],
      ['images:not-image', /a\.png: is not an image/],
    ];
    for (const [spec, pattern] of cases) {
      const { code, stderr } = cnnx('data', 'inspect', spec);
      assert.equal(code, 1, spec);
      assert.match(stderr, pattern, spec);
      assert.equal(stderr.trim().split('\n').length, 1, `${spec}: one line, got ${stderr}`);
    }
    const offline = cnnx('data', 'inspect', 'mnist', '--no-download', '--data-dir', 'nowhere');
    assert.equal(offline.code, 1);
    assert.match(
      offline.stderr,
      /missing train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz .*put the files in/,
    );
    const unknown = cnnx('data', 'inspect', 'cifar');
    assert.equal(unknown.code, 2);
  });
});
