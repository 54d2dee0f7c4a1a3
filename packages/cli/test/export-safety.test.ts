// Issue 20, defects 1, 3 and 8 for `cnnx export`: Triton names, entries that keep their other versions,
// --out that replaces nothing of the user's without --force, --class-names checked up front, and no stale
// temporary files after a SIGKILL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { type CnnxResult, spawnCnnx } from './helpers/spawn-cnnx.js';

let folder = '';

function cnnx(...args: string[]): CnnxResult {
  return spawnCnnx(folder, args);
}

function cnnxLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('cnnx:'));
}

/** Every file under `dir`, as relative paths with their contents. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(dir.length + 1)] = (await readFile(path)).toString('base64');
  }
  return files;
}

before(async () => {
  await tf.setBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'cnnx-export-safety-'));
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  const dir = join(folder, 'digits');
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // a Triton repository the user already has: another model, and a second version of x05
  await mkdir(join(folder, 'repo', 'other', '1'), { recursive: true });
  await writeFile(join(folder, 'repo', 'other', '1', 'model.onnx'), 'the user’s other model');
  await mkdir(join(folder, 'repo', 'x05', '2'), { recursive: true });
  await writeFile(join(folder, 'repo', 'x05', '2', 'model.onnx'), 'version 2');
  await writeFile(join(folder, 'repo', 'x05', 'labels.txt'), 'zero\none\n');
  await writeFile(join(folder, 'notes.txt'), 'my notes');
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('cnnx export --triton keeps what the user has', () => {
  for (const [what, args, flag] of [
    ['--triton-name ..', ['--out', 'a.onnx', '--triton-name', '..'], '--triton-name ".."'],
    ['--triton-name .', ['--out', 'a.onnx', '--triton-name', '.'], '--triton-name "."'],
    ['--triton-name a/b', ['--out', 'a.onnx', '--triton-name', 'a/b'], '--triton-name "a/b"'],
    ['--out DIR/..onnx', ['--out', 'out/..onnx'], '--out out/..onnx gives the Triton model name "."'],
  ] as const) {
    it(`refuses ${what} with exit 2 before any work, and deletes nothing`, async () => {
      const before = await snapshot(folder);
      const run = cnnx('export', '--model', 'digits', '--no-verify', '--triton', 'repo/x05', ...args);
      assert.equal(run.code, 2, run.stderr);
      const lines = cnnxLines(run.stderr);
      assert.equal(lines.length, 1, run.stderr);
      assert.ok(lines[0]?.includes(flag), lines[0]);
      assert.match(lines[0] ?? '', /one folder name/);
      assert.deepEqual(await snapshot(folder), before);
    });
  }

  it('writes version 1 of an entry and keeps its version 2, its other files and the other models', async () => {
    const run = cnnx('export', '--model', 'digits', '--no-verify', '--out', 'x05.onnx', '--triton', 'repo');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      await readFile(join(folder, 'repo', 'x05', '1', 'model.onnx')),
      await readFile(join(folder, 'x05.onnx')),
    );
    assert.equal(await readFile(join(folder, 'repo', 'x05', '2', 'model.onnx'), 'utf8'), 'version 2');
    assert.equal(await readFile(join(folder, 'repo', 'x05', 'labels.txt'), 'utf8'), 'zero\none\n');
    assert.equal(
      await readFile(join(folder, 'repo', 'other', '1', 'model.onnx'), 'utf8'),
      'the user’s other model',
    );
    assert.match(await readFile(join(folder, 'repo', 'x05', 'config.pbtxt'), 'utf8'), /name: "x05"/);
    // --triton-version 3 adds a version; 1 and 2 stay
    const third = cnnx(
      'export',
      ...[
        '--model',
        'digits',
        '--no-verify',
        '--out',
        'x05.onnx',
        '--triton',
        'repo',
        '--triton-version',
        '3',
      ],
    );
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual((await readdir(join(folder, 'repo', 'x05'))).sort(), [
      '1',
      '2',
      '3',
      'config.pbtxt',
      'labels.txt',
    ]);
  });
});

describe('cnnx export --out replaces nothing of the user’s without --force', () => {
  it('refuses --out notes.txt with exit 1 and one line naming --force, and leaves the file', async () => {
    const run = cnnx('export', '--model', 'digits', '--no-verify', '--out', 'notes.txt');
    assert.equal(run.code, 1, run.stderr);
    const lines = cnnxLines(run.stderr);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0] ?? '', /--out notes\.txt exists .*--force/);
    assert.equal(await readFile(join(folder, 'notes.txt'), 'utf8'), 'my notes');
  });

  it('refreshes its own ONNX file without --force, and replaces another file with --force', async () => {
    const first = cnnx('export', '--model', 'digits', '--no-verify', '--out', 'own.onnx');
    assert.equal(first.code, 0, first.stderr);
    const again = cnnx('export', '--model', 'digits', '--no-verify', '--out', 'own.onnx');
    assert.equal(again.code, 0, again.stderr);
    await writeFile(join(folder, 'forced.txt'), 'replace me');
    const forced = cnnx('export', '--model', 'digits', '--no-verify', '--out', 'forced.txt', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(await readFile(join(folder, 'forced.txt')), await readFile(join(folder, 'own.onnx')));
  });

  it('refuses --class-names that do not match the model’s classes with exit 2, writing nothing', () => {
    const run = cnnx(
      'export',
      '--model',
      'digits',
      '--no-verify',
      '--out',
      'abc.onnx',
      '--class-names',
      'a,b,c',
    );
    assert.equal(run.code, 2, run.stderr);
    const lines = cnnxLines(run.stderr);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0] ?? '', /--class-names names 3 classes but digits has 10 outputs/);
    assert.equal(existsSync(join(folder, 'abc.onnx')), false);
  });

  it('leaves no stale *.tmp after a SIGKILL: the next write to that place removes it', async () => {
    const target = join(folder, 'killed.onnx');
    // a process killed while it writes through @cnnx/data's writeFileAtomic (as export does), with enough
    // bytes that the temporary file is seen before the rename
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { writeFileAtomic } from '@cnnx/data'; await writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(2 ** 28));`,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let stale: string[] = [];
    const started = Date.now();
    while (stale.length === 0 && Date.now() - started < 20_000) {
      stale = readdirSync(folder).filter((name) => name.startsWith('killed.onnx.') && name.endsWith('.tmp'));
      if (stale.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, null, 'the writer was killed, not finished');
    assert.equal(stale.length, 1, 'the killed writer left its temporary file');
    assert.ok(existsSync(join(folder, stale[0] ?? '')));
    const run = cnnx('export', '--model', 'digits', '--no-verify', '--out', 'killed.onnx');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      readdirSync(folder).filter((name) => name.endsWith('.tmp')),
      [],
    );
  });
});
