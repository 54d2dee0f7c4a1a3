/**
 * `cnnx serve` as users run it: a child process on 127.0.0.1, stopped with SIGTERM under load.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliBin, makeModel, startCli, stopChild } from './server-fixtures.js';

let directory: string;
let modelFile: string;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cnnx-serve-cli-test-'));
  modelFile = await makeModel(directory);
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

const image = JSON.stringify({
  inputs: [
    {
      name: 'input',
      shape: [1, 28, 28, 1],
      datatype: 'UINT8',
      data: Array.from({ length: 784 }, (_, i) => (i * 7) % 256),
    },
  ],
});

async function inputName(url: string): Promise<string> {
  const metadata = (await (await fetch(`${url}/v2/models/mnist`)).json()) as { inputs: { name: string }[] };
  return metadata.inputs[0]?.name as string;
}

describe('cnnx serve', () => {
  test('SIGTERM during load: requests in flight finish with 200, the rest are refused cleanly, exit 0', async () => {
    const server = await startCli([
      '--model',
      modelFile,
      '--port',
      '0',
      '--max-delay-ms',
      '1000',
      '--max-batch',
      '1000',
      '--log-level',
      'warn',
    ]);
    try {
      const body = image.replace('"input"', JSON.stringify(await inputName(server.url)));
      const send = () =>
        fetch(`${server.url}/v2/models/mnist/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }).then(
          (response) => response.status,
          (error: Error) => (error.cause as { code?: string } | undefined)?.code ?? error.message,
        );
      // Load: workers sending one request after another until the server is gone.
      let stopping = false;
      const afterSignal: (number | string)[] = [];
      const workers = Array.from({ length: 4 }, async () => {
        while (!stopping) {
          const outcome = await send();
          afterSignal.push(outcome);
          if (typeof outcome === 'string') return;
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 400));
      // Requests sitting in the batch queue (max-delay 1 s) when the signal arrives: wait until the server
      // holds them and the four workers' requests.
      const inFlight = Array.from({ length: 10 }, send);
      const queueDepth = async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return Number(/^cnnx_queue_depth (\d+)/m.exec(text)?.[1] ?? 0);
      };
      const deadline = performance.now() + 3000;
      while ((await queueDepth()) < 14 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      afterSignal.length = 0;
      const exited = once(server.child, 'exit');
      server.child.kill('SIGTERM');
      assert.deepEqual(await Promise.all(inFlight), new Array(10).fill(200));
      const [code] = await exited;
      stopping = true;
      await Promise.all(workers);
      assert.equal(code, 0, server.output());
      for (const outcome of afterSignal) {
        assert.ok(
          outcome === 200 || outcome === 503 || outcome === 'ECONNREFUSED' || outcome === 'UND_ERR_SOCKET',
          `after SIGTERM a request got ${outcome}`,
        );
      }
      assert.match(server.output(), /SIGTERM, finishing requests in flight/);
      assert.match(server.output(), /cnnx serve: stopped/);
    } finally {
      await stopChild(server.child);
    }
  });

  test('--token and CNNX_TOKEN require a bearer token; JSON logs carry the request id', async () => {
    const server = await startCli(['--model', modelFile, '--port', '0', '--log-level', 'info'], {
      ...process.env,
      CNNX_TOKEN: 'from-the-environment',
    });
    try {
      const metadata = `${server.url}/v2/models/mnist`;
      const refused = await fetch(metadata, { headers: { 'x-request-id': 'trace-123' } });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('x-request-id'), 'trace-123');
      const allowed = await fetch(metadata, { headers: { authorization: 'Bearer from-the-environment' } });
      assert.equal(allowed.status, 200);
      const bad = await fetch(`${server.url}/v2/models/mnist/infer`, {
        method: 'POST',
        headers: { authorization: 'Bearer from-the-environment', 'x-request-id': 'trace-456' },
        body: '{"inputs": [',
      });
      assert.equal(bad.status, 400);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const logs = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(logs.some((entry) => entry.msg === 'listening' && typeof entry.port === 'number'));
      const refusal = logs.find((entry) => entry.requestId === 'trace-456');
      assert.equal(refusal?.status, 400, server.output());
      assert.match(String(refusal?.error), /not valid JSON/);
    } finally {
      await stopChild(server.child);
    }
  });

  test('--max-files and --max-body-mb bound a multipart upload: its file count and its whole body', async () => {
    const server = await startCli([
      ...['--model', modelFile, '--port', '0', '--log-level', 'warn'],
      ...['--max-files', '2', '--max-body-mb', '0.01'],
    ]);
    try {
      const form = (files: number, size: number) => {
        const body = new FormData();
        for (let i = 0; i < files; i++) body.append('image', new Blob([new Uint8Array(size)]), `${i}.png`);
        return fetch(`${server.url}/v2/models/mnist/classify`, { method: 'POST', body });
      };
      const three = await form(3, 10);
      assert.equal(three.status, 413);
      assert.match(((await three.json()) as { error: string }).error, /more than 2 files/);
      // two files of 6 kB each pass the per-file size but not 0.01 MB together
      const big = await form(2, 6000);
      assert.equal(big.status, 413);
      assert.match(((await big.json()) as { error: string }).error, /larger than the limit of 10486 bytes/);
    } finally {
      await stopChild(server.child);
    }
  });

  test('usage mistakes exit 2 and a missing model exits 1, each with one line', async () => {
    const run = (...args: string[]) =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        execFile(process.execPath, [cliBin, 'serve', ...args], (error, _stdout, stderr) => {
          resolve({ status: error ? (error.code as number) : 0, stderr });
        });
      });
    const [noModel, badBatch, missing] = await Promise.all([
      run(),
      run('--model', modelFile, '--max-batch', '0'),
      run('--model', join(directory, 'absent.onnx')),
    ]);
    assert.equal(noModel.status, 2);
    assert.match(noModel.stderr, /--model/);
    assert.equal(badBatch.status, 2);
    assert.match(badBatch.stderr, /--max-batch/);
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /absent\.onnx: cannot be read \(ENOENT\)/);
  });
});
