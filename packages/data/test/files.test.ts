import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeFolderAtomic } from '../src/index.js';

describe('writeFolderAtomic', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cnnx-folder-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('writes files by relative path, subfolders included, and replaces an earlier folder whole', async () => {
    const dir = join(work, 'triton', 'mnist');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'stale.txt'), 'from before');
    await writeFolderAtomic(dir, {
      'config.pbtxt': 'name: "mnist"',
      '1/model.onnx': new Uint8Array([1, 2, 3]),
    });
    assert.deepEqual((await readdir(dir)).sort(), ['1', 'config.pbtxt']);
    assert.deepEqual([...(await readFile(join(dir, '1', 'model.onnx')))], [1, 2, 3]);
    assert.deepEqual(await readdir(join(work, 'triton')), ['mnist'], 'no temporary folder left beside it');
  });

  test('a failure while writing leaves the earlier folder as it was and nothing beside it', async () => {
    const dir = join(work, 'run');
    await writeFolderAtomic(dir, async (folder) => {
      await writeFile(join(folder, 'metrics.json'), '{"kept": true}');
    });
    await assert.rejects(
      writeFolderAtomic(dir, async (folder) => {
        await writeFile(join(folder, 'metrics.json'), '{"kept": false}');
        throw new Error('the export failed');
      }),
      /the export failed/,
    );
    assert.equal(await readFile(join(dir, 'metrics.json'), 'utf8'), '{"kept": true}');
    assert.deepEqual(
      (await readdir(work)).filter((name) => name.startsWith('run')),
      ['run'],
    );
  });
});
