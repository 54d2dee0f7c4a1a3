import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportToOnnx } from '@cnnx/export';
import { buildModel, initBackend } from '@cnnx/train';
import { runCli } from '../src/program.js';
import { type CnnxResult, spawnCnnx } from './helpers/spawn-cnnx.js';

let folder = '';

function cnnx(...args: string[]): CnnxResult {
  return spawnCnnx(folder, args);
}

/**
 * Runs `cnnx ARGS...` in this process (what bin.ts does, without the cost of starting one more process per
 * case) and returns its exit code and the lines it wrote on stderr.
 */
async function cnnxHere(...args: string[]): Promise<{ code: number; lines: string[] }> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await runCli(['node', 'cnnx', ...args]);
    return { code, lines: stderr.split('\n').filter((line) => line.trim() !== '') };
  } finally {
    process.stderr.write = write;
  }
}

before(async () => {
  await initBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'cnnx-cli-bench-'));
  const model = buildModel('tiny', { inputShape: [28, 28, 1], numClasses: 10, seed: 3 });
  await writeFile(join(folder, 'tiny.onnx'), await exportToOnnx(model));
  model.dispose();
  await writeFile(join(folder, 'notes.onnx'), 'these are notes, not a model\n');
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('cnnx bench', () => {
  it('measures images/s and latency quantiles per batch size and prints JSON', () => {
    const { code, stdout, stderr } = cnnx(
      'bench',
      '--model',
      'tiny.onnx',
      '--device',
      'cpu',
      '--batch',
      '1,8',
      '--seconds',
      '0.2',
      '--json',
    );
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout);
    assert.equal(report.model, 'tiny.onnx');
    assert.equal(report.device, 'cpu');
    assert.equal(report.provider, 'cpu');
    assert.equal(report.opset, 17);
    assert.deepEqual(report.inputs[0].shape, ['batch', 28, 28, 1]);
    assert.ok(report.bytes > 0);
    assert.deepEqual(
      report.results.map((result: { batch: number }) => result.batch),
      [1, 8],
    );
    for (const result of report.results) {
      assert.ok(result.runs >= 1, JSON.stringify(result));
      assert.ok(result.imagesPerSecond > 0, JSON.stringify(result));
      // images/s is batch × runs over the time spent in the runs: about --seconds, at most 4 × --seconds.
      assert.ok(
        Math.abs(result.imagesPerSecond * result.seconds - result.batch * result.runs) < 1e-6 * result.runs,
        JSON.stringify(result),
      );
      assert.ok(result.seconds >= 0.2 && result.seconds < 0.2 * 4 + 0.5, JSON.stringify(result));
      assert.ok(result.p50Ms > 0, JSON.stringify(result));
      assert.ok(result.p50Ms <= result.p90Ms && result.p90Ms <= result.p99Ms, JSON.stringify(result));
    }
    // The human table goes to stderr, with the device that ran it.
    assert.match(stderr, /device cpu \(provider cpu/);
    assert.match(stderr, /batch +images\/s +runs +p50 ms +p90 ms +p99 ms/);
    assert.doesNotMatch(stdout, /images\/s/);
  });

  for (const [label, args, exitCode, pattern] of [
    ['no --model', ['--batch', '1'], 2, /--model/],
    ['--batch 0', ['--model', 'tiny.onnx', '--batch', '0'], 2, /--batch.*'0'.*integers ≥ 1/],
    ['--batch abc', ['--model', 'tiny.onnx', '--batch', '1,abc'], 2, /--batch.*'1,abc'.*integers ≥ 1/],
    ['--seconds 0', ['--model', 'tiny.onnx', '--seconds', '0'], 2, /--seconds.*'0'.*number > 0/],
    ['--device tpu', ['--model', 'tiny.onnx', '--device', 'tpu'], 2, /--device.*'tpu'.*auto/],
    ['a file that does not exist', ['--model', 'missing.onnx'], 1, /--model \S*missing\.onnx does not exist/],
    ['a file that is not ONNX', ['--model', 'notes.onnx'], 1, /notes\.onnx is not a usable ONNX model/],
  ] as const) {
    it(`${label}: exit ${exitCode}, one line naming the flag or file`, async () => {
      const inFolder = args.map((arg) => (arg.endsWith('.onnx') ? join(folder, arg) : arg));
      const { code, lines } = await cnnxHere('bench', ...inFolder, '--json');
      assert.equal(code, exitCode, lines.join('\n'));
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, pattern);
      assert.match(lines[0]!, /^(cnnx|error):/);
      assert.doesNotMatch(lines.join('\n'), /^\s+at /m);
    });
  }
});
