import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  describeExecutionProviders,
  describeMachine,
  EXECUTION_PROVIDERS,
  onnxruntimeVersions,
  readOnnxSummary,
} from '../src/index.js';
import { PROBE_INPUT, PROBE_OUTPUT, probeModel } from '../src/node/probe-model.js';

const require = createRequire(import.meta.url);
const nodePackage = dirname(dirname(require.resolve('onnxruntime-node')));
const binaries = join(nodePackage, 'bin', 'napi-v6', process.platform, process.arch);

describe('the provider probe model', () => {
  test('is a valid one-node ONNX model that onnxruntime-node runs on the CPU', async () => {
    const bytes = probeModel();
    const summary = readOnnxSummary(bytes);
    assert.equal(summary.opset, 13);
    assert.deepEqual(
      summary.inputs.map((input) => [input.name, input.type, input.shape]),
      [['x', 'float32', [2]]],
    );
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    const { y } = await session.run({ x: new ort.Tensor('float32', PROBE_INPUT, [2]) });
    assert.ok(y?.data instanceof Float32Array);
    assert.deepEqual([...y.data], [...PROBE_OUTPUT]);
    await session.release();
  });
});

describe('describeExecutionProviders', () => {
  test('tries cpu, cuda, tensorrt, webgpu and every provider this build has, and says why each one does not run', async () => {
    const compiled = ort.listSupportedBackends();
    const providers = await describeExecutionProviders();
    const expected = [...new Set([...EXECUTION_PROVIDERS, ...compiled.map((backend) => backend.name)])];
    assert.deepEqual(
      providers.map((provider) => provider.name),
      expected,
    );
    for (const provider of providers) {
      const build = compiled.find((backend) => backend.name === provider.name);
      assert.equal(provider.bundled, build ? build.bundled : null, provider.name);
      if (provider.available) {
        assert.equal(provider.reason, undefined, provider.name);
      } else {
        assert.ok(provider.reason && !provider.reason.includes('\n'), `${provider.name}: ${provider.reason}`);
      }
    }
    assert.equal(providers.find((provider) => provider.name === 'cpu')?.available, true);
    assert.equal(providers.find((provider) => provider.name === 'cpu')?.device, 'cpu');
    assert.equal(providers.find((provider) => provider.name === 'cuda')?.device, 'cuda');

    // where onnxruntime-node's installer has not put the CUDA provider, the reason names the file and the fix
    const cuda = providers.find((provider) => provider.name === 'cuda')!;
    if (!existsSync(join(binaries, 'libonnxruntime_providers_cuda.so')) && process.platform === 'linux') {
      assert.equal(cuda.available, false);
      assert.match(cuda.reason!, /no libonnxruntime_providers_cuda\.so.*run `cnnx setup cuda`/);
    }
  });

  test('a provider this build lacks is reported, not opened', async () => {
    const [missing] = await describeExecutionProviders({ providers: ['cnnx-none'] });
    assert.deepEqual(missing, {
      name: 'cnnx-none',
      bundled: null,
      device: null,
      available: false,
      reason: `onnxruntime-node ${onnxruntimeVersions()['onnxruntime-node']} has no cnnx-none provider on ${process.platform}/${process.arch}`,
    });
    await assert.rejects(describeExecutionProviders({ timeoutMs: 0 }), RangeError);
  });
});

describe('describeMachine and onnxruntimeVersions', () => {
  test('report what Node, npm and the OS report', async () => {
    const machine = await describeMachine();
    assert.equal(machine.node, process.versions.node);
    assert.equal(machine.platform, process.platform);
    assert.equal(machine.cpu.logicalCores, cpus().length);
    assert.equal(machine.cpu.usableCores, availableParallelism());
    assert.ok(machine.memory.totalBytes > machine.memory.freeBytes && machine.memory.freeBytes > 0);
    // Node 20's V8 runs WebAssembly SIMD
    assert.equal(machine.cpu.wasmSimd, true);
    const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' });
    if (npm.status === 0 && process.env.npm_config_user_agent === undefined) {
      assert.equal(machine.npm, npm.stdout.trim());
    }
    const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
    if (smi.error) {
      assert.deepEqual(machine.gpu, {
        visible: false,
        devices: [],
        reason: 'nvidia-smi is not installed (no NVIDIA driver here)',
      });
    } else if (smi.status === 0) {
      assert.equal(machine.gpu.devices.length, smi.stdout.trim().split('\n').length);
    }
  });

  test("read the onnxruntime packages' own version numbers", () => {
    const versions = onnxruntimeVersions();
    assert.equal(versions['onnxruntime-node'], require('onnxruntime-node/package.json').version);
    assert.equal(versions['onnxruntime-node'], ort.env.versions.node);
    assert.match(versions['onnxruntime-web'] ?? '', /^\d+\.\d+\.\d+/);
  });
});
