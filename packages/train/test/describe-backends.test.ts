import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_LADDER, describeTrainingBackends, initBackend } from '../src/index.js';

const require = createRequire(import.meta.url);

/** What the file system says about tfjs-node: absent, present without its binding, or complete. */
function tfjsNodeState(): 'absent' | 'no-binding' | 'complete' {
  let folder: string;
  try {
    folder = dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
  } catch {
    return 'absent';
  }
  const lib = join(folder, 'lib');
  const bindings = existsSync(lib)
    ? readdirSync(lib).filter((entry) => existsSync(join(lib, entry, 'tfjs_binding.node')))
    : [];
  return bindings.length > 0 ? 'complete' : 'no-binding';
}

test('describeTrainingBackends starts each backend in auto order and agrees with initBackend', async () => {
  const described = await describeTrainingBackends({ threads: 1 });
  assert.deepEqual(
    described.backends.map((backend) => [backend.engine, backend.name]),
    BACKEND_LADDER.map((name) => ['tfjs', name]),
  );
  for (const backend of described.backends) {
    if (backend.available) {
      assert.ok(backend.detail, backend.name);
      assert.equal(backend.reason, undefined);
    } else {
      assert.ok(backend.reason && !backend.reason.includes('\n'), `${backend.name}: ${backend.reason}`);
    }
  }
  // wasm and cpu start everywhere; wasm runs WebAssembly SIMD on Node 20
  const wasm = described.backends.find((backend) => backend.name === 'wasm')!;
  assert.equal(wasm.available, true);
  assert.match(wasm.detail!, /XNNPACK on 1 thread, WebAssembly SIMD/);
  assert.equal(described.backends.find((backend) => backend.name === 'cpu')?.available, true);

  const tensorflow = described.backends.find((backend) => backend.name === 'tensorflow')!;
  const state = tfjsNodeState();
  if (state === 'absent') assert.match(tensorflow.reason!, /@tensorflow\/tfjs-node is not installed/);
  if (state === 'no-binding') {
    assert.match(
      tensorflow.reason!,
      /installed without its native library.*npm rebuild @tensorflow\/tfjs-node/,
    );
  }

  assert.equal(described.auto, described.backends.find((backend) => backend.available)?.name);
  assert.equal(tf.getBackend(), described.auto);
  assert.equal((await initBackend('auto', { threads: 1 })).name, described.auto);

  assert.equal(described.versions['@tensorflow/tfjs'], require('@tensorflow/tfjs/package.json').version);
  assert.equal(
    described.versions['@tensorflow/tfjs-backend-wasm'],
    require('@tensorflow/tfjs-backend-wasm/package.json').version,
  );
  assert.equal(described.versions['@tensorflow/tfjs-node'] === null, state === 'absent');
});
