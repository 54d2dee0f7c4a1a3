import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const setupModule = fileURLToPath(new URL('../src/kernels/wasm-setup.ts', import.meta.url));

/** Trains one step of a small conv net in a fresh process on the given wasm thread count. */
function gradientsInChild(threads: number): { threads: number; backend: string; gradient: number[] } {
  const script = `
    import * as tf from '@tensorflow/tfjs';
    import { useWasmTrainingBackend, wasmThreadsCount } from ${JSON.stringify(setupModule)};
    await useWasmTrainingBackend({ threads: ${threads} });
    const images = tf.tensor4d(Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.sin(i)), [2, 8, 8, 3]);
    const filter = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 16 }, (_, i) => Math.cos(i)), [3, 3, 3, 16]);
    const gradient = tf.grad((f) => tf.conv2d(images, f, 1, 'same').relu().square().sum())(filter);
    console.log(JSON.stringify({ threads: wasmThreadsCount(), backend: tf.getBackend(), gradient: Array.from(gradient.dataSync()) }));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.status, 0, `child failed: ${child.stderr}`);
  const last = child.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as { threads: number; backend: string; gradient: number[] };
}

test('the threaded wasm build starts in Node with 2 XNNPACK threads, trains, and lets the process exit', async () => {
  const threaded = gradientsInChild(2);
  assert.equal(threaded.backend, 'wasm');
  assert.equal(threaded.threads, 2);

  await tf.setBackend('cpu');
  const expected = tf.tidy(() => {
    const images = tf.tensor4d(
      Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.sin(i)),
      [2, 8, 8, 3],
    );
    const filter = tf.tensor4d(
      Array.from({ length: 3 * 3 * 3 * 16 }, (_, i) => Math.cos(i)),
      [3, 3, 3, 16],
    );
    const loss = (f: tf.Tensor) =>
      tf
        .conv2d(images, f as tf.Tensor4D, 1, 'same')
        .relu()
        .square()
        .sum();
    return Array.from(tf.grad(loss)(filter).dataSync());
  });
  assert.equal(threaded.gradient.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i]!;
    assert.ok(
      Math.abs(threaded.gradient[i]! - want) <= 1e-4 * Math.max(1, Math.abs(want)),
      `element ${i}: ${threaded.gradient[i]} vs cpu ${want}`,
    );
  }
});

test('useWasmTrainingBackend refuses a thread count outside 1-8', async () => {
  const { useWasmTrainingBackend } = await import('../src/kernels/wasm-setup.js');
  await assert.rejects(
    useWasmTrainingBackend({ threads: 0 }),
    /'threads' must be an integer from 1 to 8, got 0/,
  );
  await assert.rejects(useWasmTrainingBackend({ threads: 2.5 }), RangeError);
});
