/**
 * `npm run bench:serve [-- --json] [-- --duration 60] [-- --model FILE.onnx]`
 *
 * Starts `cnnx serve` as a child process on loopback and drives it with autocannon: single-image JSON
 * infer requests at 1, 16 and 64 connections, then PNG uploads to /classify. In the same run it measures a
 * ceiling: a bare `node:http` server (also a child process) that parses the same JSON body and answers a
 * fixed small reply; at 64 connections the two take turns in five slices, so that other load on a shared
 * machine falls on both alike. Prints requests/s, p50/p99, errors, non-2xx, the batch-size distribution from
 * /metrics, and the server's resident memory after warm-up and at the end.
 *
 * The load generator runs in this process and shares the machine's cores with the server: on a 2-core box
 * the figures are a floor for what a separate client machine would see. Absolute numbers are noisy on a
 * shared machine; the ratio to the ceiling measured in the same run is the comparable figure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const cliBin = join(root, 'packages/cli/dist/bin.js');

interface PhaseResult {
  route: string;
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

/** The ceiling: Node's http server, reading and parsing the JSON body, answering a fixed reply. */
async function runCeilingServer(): Promise<void> {
  const reply = JSON.stringify({
    model_name: 'mnist',
    model_version: '1',
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 10], data: new Array(10).fill(0.1) }],
  });
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inputs: unknown[] };
      response.writeHead(body.inputs.length > 0 ? 200 : 400, { 'content-type': 'application/json' });
      response.end(reply);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`ceiling listening on 127.0.0.1:${typeof address === 'object' && address?.port}\n`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

async function startChild(command: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, command, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no server address in 60 s:\n${output}`)), 60_000);
    const look = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(`http://${match[1]}`);
      }
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) =>
      reject(new Error(`server exited with ${code} before listening:\n${output}`)),
    );
  });
  return { child, url };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

function rssMb(pid: number | undefined): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((status) => {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return Math.round((kb / 1024) * 10) / 10;
  });
}

async function load(
  url: string,
  route: string,
  connections: number,
  duration: number,
  request: { body: string | Buffer; headers: Record<string, string> },
): Promise<PhaseResult> {
  const result = await autocannon({
    url: `${url}${route}`,
    method: 'POST',
    connections,
    duration,
    body: request.body,
    headers: request.headers,
  });
  return {
    route,
    connections,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Equal-length slices as one phase: mean requests/s, median p50, worst p99, summed errors. */
function combine(slices: PhaseResult[]): PhaseResult {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const first = slices[0] as PhaseResult;
  return {
    route: first.route,
    connections: first.connections,
    requestsPerSecond: Math.round(slices.reduce((sum, r) => sum + r.requestsPerSecond, 0) / slices.length),
    p50Ms: median(slices.map((r) => r.p50Ms)),
    p99Ms: Math.max(...slices.map((r) => r.p99Ms)),
    errors: slices.reduce((sum, r) => sum + r.errors, 0),
    non2xx: slices.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

async function batchHistogram(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = new Map<string, number>();
  for (const match of text.matchAll(/^cnnx_batch_size_bucket\{le="([^"]+)"\} (\d+)/gm)) {
    buckets.set(match[1] as string, Number(match[2]));
  }
  return buckets;
}

/** Runs (batches) per batch-size bucket between two snapshots: `{ "≤1": 10, "2-2": 3, ... }`. */
function batchDistribution(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const distribution: Record<string, number> = {};
  let previousBound = '0';
  let previousCount = 0;
  for (const [bound, count] of after) {
    const inBucket = count - (before.get(bound) ?? 0) - previousCount;
    const low = Number(previousBound) + 1;
    const label = bound === '+Inf' ? `>${previousBound}` : low === Number(bound) ? bound : `${low}-${bound}`;
    if (inBucket > 0) distribution[label] = inBucket;
    previousCount += inBucket;
    previousBound = bound;
  }
  return distribution;
}

async function makeModel(directory: string): Promise<string> {
  const given = flag('--model');
  if (given) return given;
  const { initBackend, buildModel } = await import('@cnnx/train');
  const { exportToOnnx } = await import('@cnnx/export');
  await initBackend('cpu');
  const model = buildModel('classic', { inputShape: [28, 28, 1], numClasses: 10, seed: 7 });
  const bytes = await exportToOnnx(model, { classNames: Array.from({ length: 10 }, (_, i) => String(i)) });
  const file = join(directory, 'classic.onnx');
  await writeFile(file, bytes);
  return file;
}

async function digitPng(): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  const { loadDataset } = await import('@cnnx/data');
  const digits = await loadDataset('mnist-sample');
  const pixels = Buffer.from(digits.images.subarray(0, 784));
  return sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
    .negate()
    .resize(112, 112)
    .png()
    .toBuffer();
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const duration = Number(flag('--duration') ?? 10);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const directory = await mkdtemp(join(tmpdir(), 'cnnx-serve-bench-'));
  const children: ChildProcess[] = [];
  try {
    const modelFile = await makeModel(directory);
    const pixels = Array.from({ length: 784 }, (_, i) => Math.round(((i * 37) % 256) / 2.55) / 100);
    const inferBody = JSON.stringify({
      inputs: [{ name: 'input', shape: [1, 28, 28, 1], datatype: 'FP32', data: pixels }],
    });
    const jsonRequest = { body: inferBody, headers: { 'content-type': 'application/json' } };
    const route = '/v2/models/mnist/infer';

    const ceilingServer = await startChild(
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--ceiling-server'],
      /listening on (127\.0\.0\.1:\d+)/,
    );
    children.push(ceilingServer.child);
    const server = await startChild(
      [cliBin, 'serve', '--model', modelFile, '--port', '0', '--threads', '1', '--log-level', 'warn'],
      /on http:\/\/(127\.0\.0\.1:\d+)/,
    );
    children.push(server.child);
    log(`cnnx serve (pid ${server.child.pid}) at ${server.url}, onnxruntime intra-op threads 1`);
    log(
      `ceiling: bare node:http (pid ${ceilingServer.child.pid}) parsing the same ${inferBody.length}-byte JSON body`,
    );
    // Warm-up: every route the run measures, so that RSS after it includes the JIT, the onnxruntime arena
    // at full batches and the image decoder's buffers.
    const png = await digitPng();
    const uploadRequest = { body: png, headers: { 'content-type': 'image/png' } };
    await load(ceilingServer.url, route, 64, Math.min(2, duration), jsonRequest);
    await load(server.url, route, 64, Math.min(3, duration), jsonRequest);
    await load(server.url, '/v2/models/mnist/classify', 16, Math.min(2, duration), uploadRequest);
    const rssBeforeMb = await rssMb(server.child.pid);
    log(`  warm-up done, RSS ${rssBeforeMb} MB`);

    const results: PhaseResult[] = [];
    const distributions: Record<string, Record<string, number>> = {};
    let ceiling: PhaseResult | undefined;
    for (const connections of [1, 16, 64]) {
      const before = await batchHistogram(server.url);
      let result: PhaseResult;
      if (connections === 64) {
        // The ratio is the headline: cnnx and the ceiling take turns in five slices, so that load from
        // other processes on a shared machine falls on both alike.
        const slices = 5;
        const ours: PhaseResult[] = [];
        const theirs: PhaseResult[] = [];
        for (let slice = 0; slice < slices; slice++) {
          theirs.push(await load(ceilingServer.url, route, 64, duration / slices, jsonRequest));
          ours.push(await load(server.url, route, 64, duration / slices, jsonRequest));
        }
        result = combine(ours);
        ceiling = combine(theirs);
        log(
          `  ceiling 64 conn: ${ceiling.requestsPerSecond} req/s, p50 ${ceiling.p50Ms} ms, p99 ${ceiling.p99Ms} ms (slices: ${theirs.map((r) => r.requestsPerSecond).join(', ')})`,
        );
        log(`         cnnx slices: ${ours.map((r) => r.requestsPerSecond).join(', ')} req/s`);
      } else {
        result = await load(server.url, route, connections, duration, jsonRequest);
      }
      distributions[`infer@${connections}`] = batchDistribution(before, await batchHistogram(server.url));
      results.push(result);
      log(
        `  infer  ${String(connections).padStart(2)} conn: ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, errors ${result.errors}, non-2xx ${result.non2xx}`,
      );
      log(`         batch sizes (runs): ${JSON.stringify(distributions[`infer@${connections}`])}`);
    }
    await stopChild(ceilingServer.child);
    if (ceiling === undefined) throw new Error('no ceiling measured');
    const rssAfterInferMb = await rssMb(server.child.pid);
    log(`  RSS after the infer phases ${rssAfterInferMb} MB`);
    const upload = await load(server.url, '/v2/models/mnist/classify', 16, duration, uploadRequest);
    results.push(upload);
    log(
      `  upload 16 conn (${png.length}-byte PNG): ${upload.requestsPerSecond} req/s, p50 ${upload.p50Ms} ms, p99 ${upload.p99Ms} ms, errors ${upload.errors}, non-2xx ${upload.non2xx}`,
    );
    const rssAfterMb = await rssMb(server.child.pid);
    await stopChild(server.child);

    const at64 = results.find((result) => result.connections === 64 && result.route === route) as PhaseResult;
    const ratio = Math.round((at64.requestsPerSecond / ceiling.requestsPerSecond) * 1000) / 1000;
    const rssChange = Math.round(((rssAfterMb - rssBeforeMb) / rssBeforeMb) * 1000) / 10;
    log(
      `cnnx at 64 connections: ${at64.requestsPerSecond} req/s = ${ratio} × the bare ceiling (${ceiling.requestsPerSecond} req/s); p99 ${at64.p99Ms} ms`,
    );
    log(
      `RSS after warm-up ${rssBeforeMb} MB, at the end ${rssAfterMb} MB (${rssChange >= 0 ? '+' : ''}${rssChange}%)`,
    );
    log('(the load generator shares the cores with the server)');
    if (json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            results,
            ceiling: {
              requestsPerSecond: ceiling.requestsPerSecond,
              p50Ms: ceiling.p50Ms,
              p99Ms: ceiling.p99Ms,
            },
            ratio,
            rssBeforeMb,
            rssAfterInferMb,
            rssAfterMb,
            batchSizes: distributions,
            durationSeconds: duration,
          },
          null,
          2,
        )}\n`,
      );
    }
  } finally {
    for (const child of children) await stopChild(child).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
  }
}

if (process.argv.includes('--ceiling-server')) {
  await runCeilingServer();
} else {
  await main();
}
