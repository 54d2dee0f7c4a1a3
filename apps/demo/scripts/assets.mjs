// The demo's non-code assets, shared by the Vite build (vite.config.ts) and the static server (serve.mjs):
// onnxruntime-web's .wasm runtime, the ONNX model and the gallery's held-out digits. Plain Node ESM, so that
// `node scripts/serve.mjs` runs without a compiler; types are in assets.d.mts.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/demo */
export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root (the quickstart writes runs/quickstart/ here). */
export const REPO_DIR = resolve(APP_DIR, '..', '..');
/** Where the quickstart leaves its ONNX model. */
export const QUICKSTART_MODEL = join(REPO_DIR, 'runs', 'quickstart', 'model.onnx');
/** The folder under dist/ that holds onnxruntime-web's .wasm files and their loaders. */
export const ORT_DIR = 'ort';
/** Held-out examples per class in the gallery. */
export const EXAMPLES_PER_CLASS = 2;

const ORT_FILE = /^ort-wasm-simd-threaded(\.[a-z]+)?\.(wasm|mjs)$/;

async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function writeAtomic(path, bytes) {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/**
 * The folder of onnxruntime-web's prebuilt files, found the way Node resolves the package.
 *
 * @example
 * ortDistDir(); // '/work/main/node_modules/onnxruntime-web/dist'
 */
export function ortDistDir() {
  const require = createRequire(join(APP_DIR, 'package.json'));
  return dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
}

/**
 * Copies onnxruntime-web's .wasm files and their .mjs loaders into `<distDir>/ort/`; returns their names.
 *
 * @example
 * await copyOrtRuntime('apps/demo/dist'); // ['ort-wasm-simd-threaded.asyncify.mjs', …, 'ort-wasm-simd-threaded.wasm']
 */
export async function copyOrtRuntime(distDir) {
  const source = ortDistDir();
  const target = join(distDir, ORT_DIR);
  await mkdir(target, { recursive: true });
  const names = (await readdir(source)).filter((name) => ORT_FILE.test(name));
  if (names.length === 0)
    throw new Error(`${source} holds no ort-wasm-simd-threaded*.wasm files; reinstall onnxruntime-web`);
  for (const name of names) {
    const from = join(source, name);
    const to = join(target, name);
    const [a, b] = await Promise.all([stat(from), stat(to).catch(() => undefined)]);
    if (b?.size === a.size && b.mtimeMs >= a.mtimeMs) continue;
    await copyFile(from, `${to}.tmp-${process.pid}`);
    await rename(`${to}.tmp-${process.pid}`, to);
  }
  return names;
}

/**
 * The model the demo serves: the one named (by `--model` or `CNNX_MODEL`), else the quickstart's when present,
 * else `null`. A named file that does not exist is an error.
 *
 * @example
 * await findModel(process.env.CNNX_MODEL); // '/work/main/runs/quickstart/model.onnx' when CNNX_MODEL is unset
 */
export async function findModel(named) {
  if (named) {
    const path = resolve(named);
    if (!(await exists(path))) throw new Error(`model ${named} does not exist; expected an .onnx file`);
    const head = await readFile(path).then((bytes) => bytes.subarray(0, 1));
    if (head[0] !== 0x08)
      throw new Error(`model ${named} is not an ONNX file (it does not start with an ir_version field)`);
    return path;
  }
  return (await exists(QUICKSTART_MODEL)) ? QUICKSTART_MODEL : null;
}

function runNode(args, stdio) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: REPO_DIR, stdio });
    child.on('error', fail);
    child.on('exit', (status) => done(status));
  });
}

/**
 * Runs `cnnx quickstart` to make runs/quickstart/model.onnx (building the CLI first when its dist/ is missing);
 * resolves to the model's path.
 *
 * @example
 * await runQuickstart(); // '/work/main/runs/quickstart/model.onnx', after a few minutes of training
 */
export async function runQuickstart() {
  const bin = join(REPO_DIR, 'packages', 'cli', 'dist', 'bin.js');
  if (!(await exists(bin))) {
    console.error('cnnx demo: building the cnnx CLI (npm run build -w @cnnx/cli)…');
    const tsc = join(REPO_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
    const built = await runNode(
      [tsc, '-p', join(REPO_DIR, 'packages', 'cli', 'tsconfig.build.json')],
      'inherit',
    );
    if (built !== 0)
      throw new Error(`building the cnnx CLI failed (exit ${built}); run npm run build -w @cnnx/cli`);
  }
  console.error(
    'cnnx demo: no model yet, training the quickstart model first (cnnx quickstart, a few minutes)…',
  );
  const code = await runNode(
    [bin, 'quickstart', '--out', join(REPO_DIR, 'runs', 'quickstart')],
    ['ignore', 'ignore', 'inherit'],
  );
  if (code !== 0 || !(await exists(QUICKSTART_MODEL))) {
    throw new Error(
      `cnnx quickstart failed (exit ${code}); pass a model with --model FILE or CNNX_MODEL=FILE`,
    );
  }
  return QUICKSTART_MODEL;
}

/**
 * Copies the model to `<distDir>/model.onnx` (temporary name, then rename).
 *
 * @example
 * await installModel('runs/quickstart/model.onnx', 'apps/demo/dist'); // dist/model.onnx
 */
export async function installModel(modelPath, distDir) {
  await mkdir(distDir, { recursive: true });
  await writeAtomic(join(distDir, 'model.onnx'), await readFile(modelPath));
}

/** The quickstart's split settings, read from its metrics.json when present (seed 42, all 10,000 digits otherwise). */
async function quickstartSplit() {
  const metrics = await readFile(join(REPO_DIR, 'runs', 'quickstart', 'metrics.json'), 'utf8').then(
    (text) => JSON.parse(text),
    () => ({}),
  );
  return {
    seed: Number.isInteger(metrics.seed) ? metrics.seed : 42,
    count: Number.isInteger(metrics.dataset?.count) ? metrics.dataset.count : undefined,
  };
}

/**
 * Writes `<distDir>/examples.json`: a few held-out digits of `mnist-sample` per class, taken from the test side
 * of the quickstart's split (stratified, 15 % held out, its seed), as base64 28×28 bytes.
 *
 * @example
 * await writeExamples('apps/demo/dist'); // 20 (examples written)
 */
export async function writeExamples(distDir, perClass = EXAMPLES_PER_CLASS) {
  const { loadDataset, stratifiedSplit, subset } = await import('@cnnx/data');
  let dataset = await loadDataset('mnist-sample');
  const { seed, count } = await quickstartSplit();
  if (count !== undefined && count < dataset.count) {
    dataset = subset(dataset, stratifiedSplit(dataset.labels, 1 - count / dataset.count, seed).train);
  }
  const held = stratifiedSplit(dataset.labels, 0.15, seed).test;
  const [height, width] = dataset.shape;
  const size = height * width * dataset.shape[2];
  const taken = new Map();
  const examples = [];
  for (const index of held) {
    const label = dataset.labels[index];
    if ((taken.get(label) ?? 0) >= perClass) continue;
    taken.set(label, (taken.get(label) ?? 0) + 1);
    const pixels = dataset.images.subarray(index * size, (index + 1) * size);
    examples.push({ label, index, pixels: Buffer.from(pixels).toString('base64') });
  }
  examples.sort((a, b) => a.label - b.label);
  const file = {
    source: 'mnist-sample',
    seed,
    shape: dataset.shape,
    classNames: dataset.classNames,
    examples,
  };
  await mkdir(distDir, { recursive: true });
  await writeAtomic(join(distDir, 'examples.json'), JSON.stringify(file));
  return examples.length;
}
