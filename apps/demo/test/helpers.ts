// Shared by the demo's tests: a real model (trained here, or the quickstart's), a real production build, the
// real static server on 127.0.0.1, and Debian's Chromium driven by playwright-core.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(APP_DIR, '..', '..');
export const ARTIFACTS_DIR = join(REPO_DIR, 'test-artifacts');
const QUICKSTART_MODEL = join(REPO_DIR, 'runs', 'quickstart', 'model.onnx');
const run = promisify(execFile);

/** A temporary folder, removed by the returned function. */
export async function temporaryDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * An ONNX digit classifier for the tests: `CNNX_DEMO_TEST_MODEL` when set, else the quickstart's model when it is
 * there, else a `tiny` CNN trained here for one epoch on 4,000 mnist-sample digits (wasm backend) and exported
 * with @cnnx/export. Resolves to the path of the .onnx file and how it was made.
 */
export async function testModel(dir: string): Promise<{ path: string; origin: string }> {
  const named = process.env.CNNX_DEMO_TEST_MODEL;
  if (named) return { path: resolve(named), origin: `CNNX_DEMO_TEST_MODEL=${named}` };
  if (existsSync(QUICKSTART_MODEL)) return { path: QUICKSTART_MODEL, origin: 'runs/quickstart/model.onnx' };
  const started = performance.now();
  const { loadDataset, stratifiedSplit, subset } = await import('@cnnx/data');
  const { buildModel, initBackend, trainModel } = await import('@cnnx/train');
  const { exportToOnnx } = await import('@cnnx/export');
  const dataset = await loadDataset('mnist-sample');
  // The quickstart's held-out 15 % stays unseen, as in the gallery; 4,000 of the rest train.
  const { train } = stratifiedSplit(dataset.labels, 0.15, 42);
  const picked = stratifiedSplit(subset(dataset, train).labels, 1 - 4000 / train.length, 7).train;
  const training = subset(subset(dataset, train), picked);
  await initBackend('auto');
  const model = buildModel('tiny', {
    inputShape: dataset.shape,
    numClasses: dataset.classNames.length,
    seed: 1,
  });
  await trainModel(model, { train: training }, { epochs: 1, batchSize: 32, seed: 1 });
  const bytes = await exportToOnnx(model, { classNames: dataset.classNames, inputScale: 'unit' });
  const path = join(dir, 'model.onnx');
  await writeFile(path, bytes);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return { path, origin: `tiny CNN trained here for 1 epoch on ${training.count} digits in ${seconds} s` };
}

/** Builds the production app into `outDir` (with `model` installed when given), and hidden source maps to audit its modules. */
export async function buildDemo(outDir: string, model?: string): Promise<void> {
  const vite = join(REPO_DIR, 'node_modules', 'vite', 'bin', 'vite.js');
  const env = { ...process.env };
  if (model === undefined) delete env.CNNX_MODEL;
  else env.CNNX_MODEL = model;
  await run(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--sourcemap', 'hidden'], {
    cwd: APP_DIR,
    env,
  });
}

/** Every file under `dir`, as paths relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** The demo's static server (scripts/serve.mjs) on a free port of 127.0.0.1, serving `dist`. */
export async function startServer(
  dist: string,
  extraArgs: string[] = [],
): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(APP_DIR, 'scripts', 'serve.mjs'), '--dist', dist, '--port', '0', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const url = await new Promise<string>((done, fail) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /http:\/\/127\.0\.0\.1:\d+/.exec(output);
      if (found) done(`${found[0]}/`);
    });
    child.on('exit', (code) =>
      fail(new Error(`serve.mjs exited with ${code} before listening: ${errors.trim()}`)),
    );
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, stop };
}

/** Writes a file under test-artifacts/ and returns its path. */
export async function saveArtifact(name: string, bytes: Uint8Array): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await writeFile(path, bytes);
  return path;
}
