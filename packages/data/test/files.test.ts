import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { removeStaleTemporaries, writeFileAtomic, writeFolderAtomic } from '../src/index.js';

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

describe('merging and stale temporaries', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cnnx-merge-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('merge keeps the folder’s other files and replaces only the entries written', async () => {
    const dir = join(work, 'report');
    await mkdir(join(dir, 'figures'), { recursive: true });
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await writeFile(join(dir, 'figures', 'old.png'), 'old');
    await writeFolderAtomic(dir, { 'report.html': 'new', 'figures/a.png': 'a' }, { merge: true });
    assert.deepEqual((await readdir(dir)).sort(), ['figures', 'notes.txt', 'report.html']);
    assert.deepEqual(await readdir(join(dir, 'figures')), ['a.png']);
    assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'mine');
    assert.deepEqual(await readdir(work), ['report'], 'nothing left beside it');
  });

  test('removes the temporaries of a process that is gone, never those of one that runs, nor other files', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const dead = Number(gone.stdout.trim());
    const live = process.ppid;
    const names = [
      `model.onnx.${dead}.0badf00d.tmp`,
      `model.onnx.${live}.0badf00d.tmp`,
      `model.onnx.notes.tmp`,
      `run.tmp-${dead}-0badf00d`,
      `run.old-${dead}-0badf00d`,
    ];
    for (const name of names) await writeFile(join(work, name), 'x');
    await removeStaleTemporaries(join(work, 'model.onnx'));
    // run.old-* stays while run itself does not stand: it is the only copy
    await removeStaleTemporaries(join(work, 'run'));
    assert.deepEqual(
      (await readdir(work)).filter((name) => names.includes(name)).sort(),
      [`model.onnx.${live}.0badf00d.tmp`, 'model.onnx.notes.tmp', `run.old-${dead}-0badf00d`].sort(),
    );
    await writeFileAtomic(join(work, 'run'), 'now it stands');
    await removeStaleTemporaries(join(work, 'run'));
    assert.ok(!(await readdir(work)).includes(`run.old-${dead}-0badf00d`));
  });
});
