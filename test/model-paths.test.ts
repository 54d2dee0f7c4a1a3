/**
 * A tfjs model folder whose model.json points its weights outside the folder: `../../secret.bin`, an absolute
 * path, or a symbolic link inside the folder whose target lies elsewhere. Every reader of model folders
 * (@cnnx/train's loadModel, which exportToOnnx(dir) reads through, and `cnnx export`) must refuse it with one line
 * naming model.json and the path, even though the outside file holds exactly the bytes the manifest asks for.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PathOutsideFolderError } from '@cnnx/data';
import { buildModel, initBackend, loadModel, saveModel } from '@cnnx/train';
import { runCnnx } from './helpers/cli.js';

let root = '';
let weights: Buffer;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cnnx-model-paths-'));
  await initBackend('cpu');
  const model = buildModel('tiny', { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
  await saveModel(model, join(root, 'good'));
  model.dispose();
  weights = await readFile(join(root, 'good', 'weights.bin'));
  // what an attacker wants read: a file outside the model folder, with the right size so only the path fails
  await writeFile(join(root, 'secret.bin'), weights);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of the good model whose manifest names `path`, with `prepare` run in its folder first. */
async function modelNaming(name: string, path: string, prepare?: (folder: string) => Promise<void>) {
  const folder = join(root, 'models', name);
  await mkdir(folder, { recursive: true });
  const json = JSON.parse(await readFile(join(root, 'good', 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = [path];
  await writeFile(join(folder, 'model.json'), JSON.stringify(json));
  await prepare?.(folder);
  return folder;
}

function assertOutside(error: unknown, path: string): boolean {
  assert.ok(error instanceof PathOutsideFolderError, `expected PathOutsideFolderError, got ${String(error)}`);
  assert.match(
    error.message,
    /model\.json: path ".*" leads outside .*; files it names must lie inside its folder/,
  );
  assert.equal(error.path, path);
  assert.ok(!error.message.includes('\n'));
  return true;
}

describe('weights paths in model.json stay inside the model folder', () => {
  const attacks: [string, (folder: string) => string, ((folder: string) => Promise<void>)?][] = [
    ['dot-dot segments', () => '../../secret.bin'],
    ['the issue’s ../../../../etc/passwd', () => '../../../../etc/passwd'],
    ['an absolute path', () => join(root, 'secret.bin')],
    [
      'a symbolic link to a file outside',
      () => 'weights.bin',
      (folder) => symlink(join(root, 'secret.bin'), join(folder, 'weights.bin')),
    ],
  ];
  for (const [name, pathOf, prepare] of attacks) {
    test(name, async () => {
      const folder = await modelNaming(name.replace(/\W+/g, '-'), pathOf(join(root, 'models')), prepare);
      const path = pathOf(join(root, 'models'));
      await assert.rejects(loadModel(folder), (error) => assertOutside(error, path));
    });
  }

  test('cnnx export refuses such a folder with one line and exit 1', async () => {
    const folder = await modelNaming('cli', '../../../../etc/passwd');
    const cli = await runCnnx(['export', '--model', folder, '--out', join(root, 'cli.onnx')]);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stderr, /model\.json: path "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" leads outside/);
    assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
  });

  test('a shard in a subfolder of the model folder still loads', async () => {
    const folder = await modelNaming('nested', 'shards/weights.bin', async (inside) => {
      await mkdir(join(inside, 'shards'));
      await writeFile(join(inside, 'shards', 'weights.bin'), weights);
    });
    const model = await loadModel(folder);
    assert.equal(model.countParams(), weights.length / 4);
    model.dispose();
  });
});
