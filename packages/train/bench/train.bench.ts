/**
 * Training speed of the `classic` CNN (Conv32-same, MaxPool, Conv64-same, MaxPool, Dense128,
 * Dense10 softmax; 421,642 parameters) at batch 64 with Adam (cnnx's FusedAdamOptimizer, as the
 * training loop uses; `--stock-adam` for tfjs's), on every tfjs backend that loads here, against
 * PyTorch CPU on the same machine when Debian's python3-torch is installed.
 *
 *   npm run bench:train                       # human-readable report on stdout
 *   npm run bench:train -- --json             # one JSON document on stdout, the report on stderr
 *   npm run bench:train -- --steps 40 --no-cpu --no-pytorch
 *   npm run bench:train -- --no-cpu --no-baseline --no-pytorch --stock-adam   # tfjs's Adam, to compare
 *   npm run bench:train -- --batch-norm --no-cpu --no-baseline   # also wasm on classic with batch norm after each conv
 *   npm run bench:train -- --no-wasm --profile      # onnxruntime and PyTorch only, with onnxruntime's profile by operator and by layer
 *
 * Backends measured, in one process:
 * - `wasm`: tfjs-backend-wasm with cnnx's gradient kernels (registerWasmTrainingKernels), on
 *   `--threads` XNNPACK threads (default: the CPUs here, at most 4; tfjs's threaded build on Node
 *   worker threads), and on 1 thread in a child process for comparison.
 * - `wasm-stock`: the stock wasm kernels; stock tfjs cannot train a conv net there (no
 *   Conv2DBackpropFilter), so this baseline adds the naive adapter through Conv3DBackpropFilterV2.
 * - `cpu`: the pure-JS backend, one step of 8 images only (it runs at about 2 images/s).
 * - `onnxruntime`: cnnx's onnxruntime engine (the training step as one ONNX graph, `@cnnx/runtime`'s
 *   TrainingSession on onnxruntime-node, `--threads` intra-op threads), from
 *   `packages/runtime/bench/train-step.bench.ts` in a child process per run, alternating with PyTorch runs
 *   (`--rounds`), because a second onnxruntime session in one process keeps its threads spinning and this VM
 *   drifts; the ratio is the best onnxruntime run over the best PyTorch run (`ratioToPytorch` in its `results`
 *   entries), for `classic` and for `classic` with batch norm.
 *
 * PyTorch runs twice each time: with glibc's malloc as a user gets it, and tuned to keep freed memory
 * (PYTORCH_MALLOC); its best over all of them, the stand-alone rows included, is the peer of
 * `ratioToPytorch`. `ratioToPytorchAsItComes` divides by its best run with malloc as it comes.
 */
import { spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../src/kernels/index.js';
import { useWasmTrainingBackend, wasmThreadsCount } from '../src/kernels/wasm-setup.js';
import { buildModel } from '../src/models/build.js';
import { classicSpec } from '../src/models/presets.js';
import { registerBatchNormGradient } from '../src/training/batch-norm-gradient.js';
import { FusedAdamOptimizer } from '../src/training/fused-adam.js';

const PYTHON = '/usr/bin/python3';
const BATCH_SIZE = 64;
const CPU_BATCH_SIZE = 8;

interface BackendResult {
  backend: string;
  /** onnxruntime's entries: its best run over PyTorch's best in this run (null without PyTorch). */
  ratioToPytorch?: number | null;
  /** onnxruntime's entries: its best run over PyTorch's best with glibc's malloc as it comes. */
  ratioToPytorchAsItComes?: number | null;
  threads: number;
  batchSize: number;
  imagesPerSecond: number;
  msPerStep: number;
  /** Images per second of this process's CPU time: steadier than wall time on a busy machine. */
  imagesPerCpuSecond: number;
  steps: number;
  kernels: { name: string; ms: number }[];
}

interface PytorchResult {
  threads: number;
  imagesPerSecond: number;
  /** `tuned`: glibc's malloc told to keep freed memory (see PYTORCH_MALLOC); `default`: as a user runs it. */
  malloc: 'default' | 'tuned';
}

const OPTIONS = {
  json: { type: 'boolean', default: false },
  steps: { type: 'string', default: '30' },
  threads: { type: 'string', default: String(Math.min(4, availableParallelism())) },
  /** Internal: a child run that only measures wasm and prints its result as JSON. */
  child: { type: 'boolean', default: false },
  'baseline-steps': { type: 'string', default: '4' },
  'no-cpu': { type: 'boolean', default: false },
  'no-baseline': { type: 'boolean', default: false },
  'no-pytorch': { type: 'boolean', default: false },
  /** tfjs's own Adam instead of cnnx's fused one (which is what training uses), to compare. */
  'stock-adam': { type: 'boolean', default: false },
  /** Also `classic` with a batch norm after each conv (422,026 parameters), on wasm and PyTorch. */
  'batch-norm': { type: 'boolean', default: false },
  /** Skip the tfjs backends (wasm, its stock baseline, cpu): onnxruntime and PyTorch only. */
  'no-wasm': { type: 'boolean', default: false },
  'no-onnxruntime': { type: 'boolean', default: false },
  /** onnxruntime and PyTorch runs, alternating, each in its own process. */
  rounds: { type: 'string', default: '2' },
  /** onnxruntime's profile of the classic step, by operator and by layer. */
  profile: { type: 'boolean', default: false },
  /**
   * How onnxruntime's idle intra-op threads wait: `auto` (the engine's default: both ways timed on the first
   * steps, the faster kept), `on` (spin) or `off` (sleep).
   */
  spin: { type: 'string', default: 'auto' },
} as const;

function parseFlags() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    console.error(
      `bench:train: ${(error as Error).message}; options: --${Object.keys(OPTIONS).join(', --')}`,
    );
    process.exit(2);
  }
}
const flags = parseFlags();

function positiveInteger(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`--${name}: expected a positive integer, got '${value}'`);
    process.exit(2);
  }
  return parsed;
}

const steps = positiveInteger('steps', flags.steps);
const baselineSteps = positiveInteger('baseline-steps', flags['baseline-steps']);
const threads = positiveInteger('threads', flags.threads);
const rounds = positiveInteger('rounds', flags.rounds);
/** Human text goes to stderr when stdout carries the JSON document. */
const say = (line: string) => writeSync(flags.json ? 2 : 1, `${line}\n`);

/** `classic`, or with `batchNorm` a batch norm after each conv's ReLU, compiled with the bench's Adam. */
function buildClassic(batchNorm = false): tf.LayersModel {
  const model = buildModel(classicSpec({ batchNorm }), { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const optimizer = flags['stock-adam'] ? tf.train.adam(1e-3) : new FusedAdamOptimizer(1e-3);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/**
 * Trains `classic` (with `batchNorm`, its batch-norm variant) for `warmup` + `count` steps on the active
 * backend; times the last `count`.
 */
async function measure(
  label: string,
  count: number,
  warmup: number,
  threadCount = 1,
  batchSize = BATCH_SIZE,
  batchNorm = false,
): Promise<BackendResult> {
  const model = buildClassic(batchNorm);
  const expected = batchNorm ? 422_026 : 421_642;
  if (model.countParams() !== expected) throw new Error(`the model has ${model.countParams()} parameters`);
  const images = tf.randomUniform([batchSize, 28, 28, 1], 0, 1, 'float32', 1);
  const labels = tf.oneHot(tf.randomUniform([batchSize], 0, 10, 'int32', 2), 10);
  for (let i = 0; i < warmup; i++) await model.trainOnBatch(images, labels);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < count; i++) await model.trainOnBatch(images, labels);
  const msPerStep = (performance.now() - start) / count;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / count;
  const kernels = warmup > 0 ? await profileStep(model, images, labels) : [];
  tf.dispose([images, labels]);
  model.dispose();
  return {
    backend: label,
    threads: threadCount,
    batchSize,
    imagesPerSecond: (batchSize * 1000) / msPerStep,
    msPerStep,
    imagesPerCpuSecond: (batchSize * 1000) / cpuMsPerStep,
    steps: count,
    kernels,
  };
}

/** Kernel time of one training step, summed by kernel name, largest first. */
async function profileStep(model: tf.LayersModel, images: tf.Tensor, labels: tf.Tensor) {
  const profile = await tf.profile(async () => {
    await model.trainOnBatch(images, labels);
  });
  const byName = new Map<string, number>();
  for (const kernel of profile.kernels) {
    byName.set(kernel.name, (byName.get(kernel.name) ?? 0) + Number(kernel.kernelTimeMs));
  }
  return [...byName]
    .map(([name, ms]) => ({ name, ms }))
    .sort((a, b) => b.ms - a.ms)
    .filter((kernel) => kernel.ms >= 0.05);
}

/**
 * The naive route stock tfjs leaves: Conv2DBackpropFilter as a depth-1 Conv3DBackpropFilterV2.
 * Only the benchmark's baseline uses it.
 */
const conv3dFilterAdapter: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const [strideHeight, strideWidth] = typeof strides === 'number' ? [strides, strides] : strides;
    const as5d = (t: tf.TensorInfo): tf.TensorInfo => ({
      ...t,
      shape: [t.shape[0]!, 1, ...t.shape.slice(1)],
    });
    const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm');
    if (conv3d === undefined) throw new Error('wasm has no Conv3DBackpropFilterV2 kernel');
    const result = conv3d.kernelFunc({
      inputs: { x: as5d(x), dy: as5d(dy) },
      backend,
      attrs: { strides: [1, strideHeight, strideWidth], pad, filterShape: [1, ...filterShape] },
    }) as tf.TensorInfo;
    return { ...result, shape: [...filterShape] };
  },
};

/** The wasm figure on one thread, from a child process (a backend's thread count is fixed once started). */
function measureSingleThreadInChild(): BackendResult {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--child',
      '--threads',
      '1',
      '--steps',
      String(steps),
      ...(flags['stock-adam'] ? ['--stock-adam'] : []),
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const last = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !last.startsWith('{')) {
    throw new Error(`single-thread wasm run failed: ${child.stderr.trim().split('\n').at(-1)}`);
  }
  return JSON.parse(last) as BackendResult;
}

function pytorchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

const PYTORCH_SCRIPT = `
import json, sys, time, torch
from torch import nn
threads = int(sys.argv[1]); steps = int(sys.argv[2]); batch_norm = sys.argv[3] == "1"
torch.set_num_threads(threads)
torch.manual_seed(0)
norm = lambda channels: [nn.BatchNorm2d(channels)] if batch_norm else []
model = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), *norm(32), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), *norm(64), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
assert sum(p.numel() for p in model.parameters()) == (421834 if batch_norm else 421642)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
images = torch.rand(${BATCH_SIZE}, 1, 28, 28); labels = torch.randint(0, 10, (${BATCH_SIZE},))
def step():
    optimizer.zero_grad(); loss = loss_fn(model(images), labels); loss.backward(); optimizer.step()
    return loss.item()
for _ in range(5): step()
start = time.perf_counter()
for _ in range(steps): step()
elapsed = time.perf_counter() - start
print(json.dumps({"threads": torch.get_num_threads(), "imagesPerSecond": ${BATCH_SIZE} * steps / elapsed}))
`;

/**
 * PyTorch's CPU allocator takes each step's activations from glibc's malloc and gives them back at the step's
 * end; on some machines glibc then returns that memory to the kernel and the next step faults it in again
 * (on the AMD EPYC VM of session 18, PyTorch ×2 took a median of 18-30 ms a step in some runs, 53-71 in others).
 * These tunables (mallopt(3)) keep the freed memory in the heap, which is what PyTorch's own performance
 * guide gets by preloading jemalloc or tcmalloc. The bench runs PyTorch both ways and compares with its best.
 */
const PYTORCH_MALLOC = { MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' };

/** Trains the same network in PyTorch on `threads` threads in a child process, with `malloc` as given. */
function runPytorch(
  threads: number,
  count: number,
  batchNorm: boolean,
  malloc: PytorchResult['malloc'],
): PytorchResult {
  const child = spawnSync(
    PYTHON,
    ['-c', PYTORCH_SCRIPT, String(threads), String(count), batchNorm ? '1' : '0'],
    {
      encoding: 'utf8',
      timeout: 300_000,
      env: malloc === 'tuned' ? { ...process.env, ...PYTORCH_MALLOC } : process.env,
    },
  );
  if (child.status !== 0) throw new Error(`PyTorch run failed: ${child.stderr.trim().split('\n').at(-1)}`);
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as Omit<PytorchResult, 'malloc'>;
  return { ...result, malloc };
}

/** PyTorch's run of `threads`, with glibc's malloc as a user runs it and tuned: both results. */
function runPytorchBothWays(threads: number, count: number, batchNorm = false): PytorchResult[] {
  return [runPytorch(threads, count, batchNorm, 'default'), runPytorch(threads, count, batchNorm, 'tuned')];
}

/** The fastest of some runs (PyTorch's or onnxruntime's). */
function fastest<T extends { imagesPerSecond: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
}

/** onnxruntime's `best` over the fastest of `peers`, with that run and how many there were; null for none. */
function ratioTo(best: { imagesPerSecond: number }, peers: PytorchResult[]) {
  if (peers.length === 0) return null;
  const peer = fastest(peers);
  return { peer, ratio: best.imagesPerSecond / peer.imagesPerSecond, of: peers.length };
}

/** A PyTorch run's figure and, when tuned, the malloc it ran with. */
function describePytorch(run: PytorchResult): string {
  return `${run.imagesPerSecond.toFixed(1)}${run.malloc === 'tuned' ? ' (malloc tuned)' : ''}`;
}

/** One run of cnnx's onnxruntime engine, from the runtime's bench script in a child process. */
interface OnnxruntimeResult extends BackendResult {
  model: string;
  /** Whether the timed steps' idle threads spun (`--spin auto`: the session's verdict). */
  spinWait: boolean;
  /** Steps per onnxruntime run (the engine's looped graph on the CPU). */
  stepsPerRun: number;
  operators: { operator: string; ms: number; nodes: number }[];
  layers: { layer: string; ms: number; nodes: number }[];
}

const ONNXRUNTIME_SCRIPT = fileURLToPath(new URL('../../runtime/bench/train-step.bench.ts', import.meta.url));

function runOnnxruntime(threadCount: number, batchNorm = false, profile = false): OnnxruntimeResult {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      ONNXRUNTIME_SCRIPT,
      '--threads',
      String(threadCount),
      '--steps',
      String(steps),
      ...(batchNorm ? ['--batch-norm'] : []),
      ...(profile ? ['--profile'] : []),
      '--spin',
      flags.spin,
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const last = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !last.startsWith('{')) {
    throw new Error(`onnxruntime run failed: ${child.stderr.trim().split('\n').at(-1)}`);
  }
  const result = JSON.parse(last) as Omit<OnnxruntimeResult, 'kernels'>;
  return { ...result, kernels: [] };
}

/** A profile table's rows (by operator or by layer): ms per step, share of the step's kernel time, nodes. */
function formatProfile(rows: { name: string; ms: number; nodes: number }[], top = 15): string {
  const total = rows.reduce((sum, row) => sum + row.ms, 0);
  return rows
    .slice(0, top)
    .map(
      (row) =>
        `    ${row.name.padEnd(30)} ${row.ms.toFixed(2).padStart(7)} ms  ${((100 * row.ms) / total).toFixed(1).padStart(5)}%  (${row.nodes} nodes)`,
    )
    .join('\n');
}

function formatKernels(kernels: BackendResult['kernels'], top = 12): string {
  return kernels
    .slice(0, top)
    .map((kernel) => `    ${kernel.name.padEnd(24)} ${kernel.ms.toFixed(1).padStart(7)} ms`)
    .join('\n');
}

function report(result: BackendResult): void {
  say(
    `${`${result.backend} ×${result.threads}`.padEnd(14)} ${result.imagesPerSecond.toFixed(1).padStart(8)} images/s  (${result.msPerStep.toFixed(1)} ms/step of ${result.batchSize} over ${result.steps} steps; ${result.imagesPerCpuSecond.toFixed(1)} per CPU-second)`,
  );
  if (result.kernels.length > 0) say(`  kernel time of one step:\n${formatKernels(result.kernels)}`);
}

/** The onnxruntime figures of one model against PyTorch: alternating runs, each side's best, their ratio. */
interface OnnxruntimeComparison {
  onnxruntime: OnnxruntimeResult;
  pytorch: PytorchResult | null;
  ratio: number | null;
  /** Against PyTorch's best run with malloc as it comes. */
  ratioAsItComes: number | null;
  rounds: { onnxruntime: number; pytorch: PytorchResult[]; ratio: number | null }[];
}

/**
 * Alternates onnxruntime and PyTorch runs (`--rounds`), so both see the same spells of this VM. The ratio is
 * onnxruntime's best over PyTorch's best of this run: its rounds, both ways of malloc, and `earlier` (the
 * stand-alone runs of the same model).
 */
function compareOnnxruntime(
  label: string,
  batchNorm: boolean,
  peerThreads: number | null,
  earlier: PytorchResult[],
): OnnxruntimeComparison {
  const runs: { onnxruntime: OnnxruntimeResult; pytorch: PytorchResult[] }[] = [];
  for (let round = 0; round < rounds; round++) {
    // The profile (10 steps more, its own session) is taken once, on the first run.
    const onnxruntime = runOnnxruntime(threads, batchNorm, flags.profile && round === 0 && !batchNorm);
    const pytorch = peerThreads === null ? [] : runPytorchBothWays(peerThreads, steps, batchNorm);
    runs.push({ onnxruntime, pytorch });
    say(
      `${`${label} ×${threads}`.padEnd(14)} ${onnxruntime.imagesPerSecond.toFixed(1).padStart(8)} images/s  (${onnxruntime.msPerStep.toFixed(1)} ms/step, ${onnxruntime.stepsPerRun} a run; ${onnxruntime.imagesPerCpuSecond.toFixed(1)} per CPU-second; threads ${onnxruntime.spinWait ? 'spinning' : 'sleeping'})` +
        (pytorch.length === 0 ? '' : `;  PyTorch ×${peerThreads} ${pytorch.map(describePytorch).join(', ')}`),
    );
  }
  const best = fastest(runs.map((run) => run.onnxruntime));
  const { operators, layers } = runs[0]!.onnxruntime;
  const peers = [...earlier, ...runs.flatMap((run) => run.pytorch)];
  const againstBest = ratioTo(best, peers);
  const asItComes = ratioTo(
    best,
    peers.filter((run) => run.malloc === 'default'),
  );
  if (operators.length > 0) {
    const total = operators.reduce((sum, row) => sum + row.ms, 0);
    say(`  onnxruntime's profile of one step (${total.toFixed(2)} ms of kernel time), by operator:`);
    say(formatProfile(operators.map(({ operator, ...row }) => ({ name: operator, ...row }))));
    say('  by layer:');
    say(formatProfile(layers.map(({ layer, ...row }) => ({ name: layer, ...row }))));
  }
  for (const [peerName, against] of [
    ["PyTorch's best", againstBest],
    ['PyTorch as it comes', asItComes],
  ] as const) {
    if (against === null) continue;
    const { peer, ratio, of } = against;
    say(
      `cnnx ${label} ×${best.threads} / ${peerName} (×${peer.threads}, ${describePytorch(peer)}; of ${of} runs): ${ratio.toFixed(2)}`,
    );
  }
  return {
    onnxruntime: { ...best, operators, layers },
    pytorch: againstBest?.peer ?? null,
    ratio: againstBest?.ratio ?? null,
    ratioAsItComes: asItComes?.ratio ?? null,
    rounds: runs.map((run) => ({
      onnxruntime: run.onnxruntime.imagesPerSecond,
      pytorch: run.pytorch,
      ratio:
        run.pytorch.length === 0
          ? null
          : run.onnxruntime.imagesPerSecond / fastest(run.pytorch).imagesPerSecond,
    })),
  };
}

async function main(): Promise<void> {
  say(`classic CNN, 421,642 parameters, batch ${BATCH_SIZE}, Adam: training images/s`);
  const results: BackendResult[] = [];
  let wasm: BackendResult | null = null;
  let normed: BackendResult | null = null;

  if (!flags['no-wasm']) {
    await useWasmTrainingBackend({ threads });
    wasm = await measure('wasm', steps, 3, wasmThreadsCount());
    if (flags.child) {
      writeSync(1, `${JSON.stringify(wasm)}\n`);
      return;
    }
    results.push(wasm);
    report(wasm);
    if (flags['batch-norm']) {
      registerBatchNormGradient(); // as the training loop does
      normed = await measure('wasm+bn', steps, 3, wasm.threads, BATCH_SIZE, true);
      report(normed);
      say(
        `  with batch norm after each conv: ×${(normed.imagesPerSecond / wasm.imagesPerSecond).toFixed(2)} of classic's speed`,
      );
    }
    if (threads > 1) {
      const single = measureSingleThreadInChild();
      results.push(single);
      report(single);
    }

    if (!flags['no-baseline']) {
      unregisterWasmTrainingKernels();
      tf.registerKernel(conv3dFilterAdapter);
      try {
        const stock = await measure('wasm-stock', baselineSteps, 1, wasm.threads);
        results.push(stock);
        report(stock);
        say(
          `  cnnx kernels speed-up over stock wasm (same backend, ×${wasm.threads}): ×${(wasm.imagesPerSecond / stock.imagesPerSecond).toFixed(1)}`,
        );
      } finally {
        tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
        registerWasmTrainingKernels();
      }
    }

    if (!flags['no-cpu']) {
      await tf.setBackend('cpu');
      // One step of 8 images: the pure-JS backend takes about 30 s for a batch of 64 here.
      const cpu = await measure('cpu', 1, 0, 1, CPU_BATCH_SIZE);
      results.push(cpu);
      report(cpu);
    }
  }

  let pytorch: (PytorchResult & { byThreads: PytorchResult[] }) | null = null;
  let normedPytorch: PytorchResult[] = [];
  if (flags['no-pytorch']) {
    say('pytorch: skipped (--no-pytorch)');
  } else if (!pytorchAvailable()) {
    say(`pytorch: ${PYTHON} cannot import torch (apt-get install python3-torch to compare)`);
  } else {
    const byThreads = [...new Set([1, wasm?.threads ?? threads])].flatMap((count) =>
      runPytorchBothWays(count, steps),
    );
    for (const run of byThreads) {
      say(`${`pytorch ×${run.threads}`.padEnd(14)} ${describePytorch(run).padStart(8)} images/s`);
    }
    // PyTorch's best: on a busy machine its multi-threaded run can be the slower one.
    pytorch = { ...fastest(byThreads), byThreads };
  }
  // The headline of the tfjs backends: the faster wasm configuration against PyTorch's best.
  const wasmRuns = results.filter((result) => result.backend === 'wasm');
  const best = wasmRuns.length === 0 ? null : fastest(wasmRuns);
  const ratio = pytorch === null || best === null ? null : best.imagesPerSecond / pytorch.imagesPerSecond;
  if (ratio !== null && pytorch !== null && best !== null) {
    say(`cnnx wasm ×${best.threads} / PyTorch ×${pytorch.threads}: ${ratio.toFixed(2)}`);
  }
  let batchNorm: { wasm: BackendResult; pytorch: PytorchResult | null; ratio: number | null } | null = null;
  if (normed !== null) {
    normedPytorch = pytorch === null ? [] : runPytorchBothWays(pytorch.threads, steps, true);
    const peer = normedPytorch.length === 0 ? null : fastest(normedPytorch);
    const normedRatio = peer === null ? null : normed.imagesPerSecond / peer.imagesPerSecond;
    if (peer !== null && normedRatio !== null) {
      say(`${`pytorch+bn ×${peer.threads}`.padEnd(14)} ${describePytorch(peer).padStart(8)} images/s`);
      say(
        `with batch norm, cnnx wasm ×${normed.threads} / PyTorch ×${peer.threads}: ${normedRatio.toFixed(2)}`,
      );
    }
    batchNorm = { wasm: normed, pytorch: peer, ratio: normedRatio };
  }

  let onnxruntime: { classic: OnnxruntimeComparison; batchNorm: OnnxruntimeComparison | null } | null = null;
  if (flags['no-onnxruntime']) {
    say('onnxruntime: skipped (--no-onnxruntime)');
  } else {
    const peerThreads = pytorch?.threads ?? null;
    // classic and classic with batch norm, each with its ratio to PyTorch measured in the same run
    const classic = compareOnnxruntime('onnxruntime', false, peerThreads, pytorch?.byThreads ?? []);
    results.push({
      ...classic.onnxruntime,
      ratioToPytorch: classic.ratio,
      ratioToPytorchAsItComes: classic.ratioAsItComes,
    });
    const normedComparison = compareOnnxruntime('onnxruntime+bn', true, peerThreads, normedPytorch);
    results.push({
      ...normedComparison.onnxruntime,
      ratioToPytorch: normedComparison.ratio,
      ratioToPytorchAsItComes: normedComparison.ratioAsItComes,
    });
    onnxruntime = { classic, batchNorm: normedComparison };
  }

  if (flags.json) {
    const document = {
      model: 'classic',
      batchSize: BATCH_SIZE,
      results,
      pytorch,
      ratio,
      batchNorm,
      onnxruntime,
    };
    writeSync(1, `${JSON.stringify(document, null, 2)}\n`);
  }
}

await main();
// tfjs's threaded wasm build leaves its worker threads running: end the process explicitly
// (stdout was written synchronously, so nothing is lost).
process.exit(0);
