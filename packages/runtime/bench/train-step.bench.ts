/**
 * Training speed of `classic` (Conv32-same, MaxPool, Conv64-same, MaxPool, Dense128, Dense10 softmax;
 * 421,642 parameters) on cnnx's onnxruntime engine: the training step as one ONNX graph
 * (`@cnnx/export`'s buildTrainingGraph, Adam) run by `TrainingSession` on onnxruntime-node, at batch 64 on
 * random images. `npm run bench:train` runs this in child processes beside PyTorch (each variant in its own
 * process: an idle onnxruntime session keeps its threads spinning and slows whatever runs beside it).
 *
 *   node --import tsx packages/runtime/bench/train-step.bench.ts --threads 2 --steps 30 [--batch-norm] [--profile] [--spin auto|on|off] [--no-nchwc] [--steps-per-run N]
 *
 * Prints one JSON line: `{ backend: 'onnxruntime', threads, spin, spinWait, batchSize, imagesPerSecond,
 * msPerStep, medianMsPerStep, imagesPerCpuSecond, steps, stepsPerRun, loadAverage, operators, layers }`
 * (`spinWait`: whether the timed steps' threads spun, `--spin auto`'s verdict); with `--profile`, `operators`
 * and `layers` are onnxruntime's profile of 10 more steps (after a first run, left out) summed by operator
 * type and by layer (ms per step, largest first).
 * `imagesPerSecond` and `msPerStep` are the mean over `--steps` (what a training run gets); on a shared
 * machine a few slow steps pull the mean above the median, so both are printed, with the 1-minute load
 * average. The steps run as the engine runs them on the CPU: `CPU_STEPS_PER_RUN` batches a run through the
 * looped graph (`--steps-per-run 1`: the step graph, a run a step). Besides the graph, a run costs the
 * binding's copy of every output into new JavaScript buffers and the collection of them: with the profiler
 * on, the time `run` took in JavaScript exceeded onnxruntime's own `model_run` by 1.9 ms a step (median of
 * 50) at one step a run, and 0.9 ms at four.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTrainingGraph, loopTrainingGraph, readTrainingState } from '@cnnx/export';
import { buildModel, classicSpec } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';
import { nchwcBlockSize, TrainingSession, type TrainingSessionInfo } from '../src/index.js';
import { CPU_STEPS_PER_RUN } from '../src/training/engine.js';
import { median } from '../src/training/wait-trials.js';

const BATCH_SIZE = 64;

const OPTIONS = {
  threads: { type: 'string', default: String(Math.min(4, availableParallelism())) },
  steps: { type: 'string', default: '30' },
  'batch-norm': { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  /**
   * How idle intra-op threads wait: `auto` (the session's default: both ways timed on the first steps, the
   * faster kept), `on` (spin, onnxruntime's own default) or `off` (sleep).
   */
  spin: { type: 'string', default: 'auto' },
  /** Use onnxruntime's blocked CPU convolutions where the graph can (what the engine does on the CPU); --no-nchwc for the plain graph. */
  nchwc: { type: 'boolean', default: true },
  /**
   * Steps per onnxruntime run: the engine's (`loopTrainingGraph`, CPU_STEPS_PER_RUN batches a run), or 1 for
   * the step graph run once per step.
   */
  'steps-per-run': { type: 'string', default: String(CPU_STEPS_PER_RUN) },
} as const;

function parseFlags() {
  try {
    return parseArgs({ options: OPTIONS, allowNegative: true }).values;
  } catch (error) {
    console.error(
      `train-step bench: ${(error as Error).message}; options: --${Object.keys(OPTIONS).join(', --')}`,
    );
    process.exit(2);
  }
}

const SPIN_CHOICES = { auto: 'auto', on: true, off: false } as const;

function spinChoice(value: string | undefined): boolean | 'auto' {
  if (value === undefined || !Object.hasOwn(SPIN_CHOICES, value)) {
    console.error(`--spin: expected auto, on or off, got '${value}'`);
    process.exit(2);
  }
  return SPIN_CHOICES[value as keyof typeof SPIN_CHOICES];
}

function positiveInteger(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`--${name}: expected a positive integer, got '${value}'`);
    process.exit(2);
  }
  return parsed;
}

/** `classic`, or with `batchNorm` a batch norm after each conv's ReLU: the models of bench:train. */
function buildClassic(batchNorm: boolean): tf.LayersModel {
  return buildModel(classicSpec({ batchNorm }), { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
}

/** A row of a profile table: kernel time per step (ms) and how many nodes it sums. */
interface ProfileRow {
  ms: number;
  nodes: number;
}

/**
 * onnxruntime's profile file summed two ways, ms per step, largest first: by operator type, and by the layer
 * whose converter wrote the node (the first part of its name; the nodes onnxruntime's optimizer inserts, such
 * as reorders into and out of its channel blocks, have no layer and are counted apart; `loop` is the looped
 * graph's own, which picks each step's batch). The session's first run is left out: it allocates every
 * buffer, and where the kernel faults fresh pages in slowly (the AMD EPYC VM of session 18) one node of it
 * took 20 ms against 0.5 ms in the runs after.
 */
function profileTables(
  file: string,
  steps: number,
): { operators: ({ operator: string } & ProfileRow)[]; layers: ({ layer: string } & ProfileRow)[] } {
  const all = JSON.parse(readFileSync(file, 'utf8')) as {
    cat?: string;
    name: string;
    ts: number;
    dur: number;
    args?: { op_name?: string };
  }[];
  const firstRunEnd = Math.min(
    ...all.filter((event) => event.name === 'model_run').map((event) => event.ts + event.dur),
  );
  const events = all.filter((event) => event.ts >= firstRunEnd);
  // per key: microseconds summed, and the nodes summed
  type Table = Map<string, { us: number; names: Set<string> }>;
  const byOperator: Table = new Map();
  const byLayer: Table = new Map();
  const count = (table: Table, key: string, event: (typeof events)[0]) => {
    const entry = table.get(key) ?? { us: 0, names: new Set<string>() };
    entry.us += event.dur;
    entry.names.add(event.name);
    table.set(key, entry);
  };
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
    // a looped graph's Loop node times its whole body, whose nodes are counted one by one
    if (event.args?.op_name === 'Loop') continue;
    count(byOperator, event.args?.op_name ?? '?', event);
    // onnxruntime names a node it fused `fused <first node's name>`
    const node = event.name.slice(0, -'_kernel_time'.length).replace(/^fused /, '');
    count(
      byLayer,
      node.includes('/') ? node.slice(0, node.indexOf('/')) : '(inserted by onnxruntime)',
      event,
    );
  }
  const rows = (table: Table) =>
    [...table]
      .map(([key, { us, names }]) => ({ key, ms: us / 1000 / steps, nodes: names.size }))
      .sort((a, b) => b.ms - a.ms);
  return {
    operators: rows(byOperator).map(({ key, ...row }) => ({ operator: key, ...row })),
    layers: rows(byLayer).map(({ key, ...row }) => ({ layer: key, ...row })),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const threads = positiveInteger('threads', flags.threads);
  const perRun = positiveInteger('steps-per-run', flags['steps-per-run']);
  // whole runs: at least --steps steps
  const runs = Math.ceil(positiveInteger('steps', flags.steps) / perRun);
  const steps = runs * perRun;
  await tf.setBackend('cpu');
  const model = buildClassic(flags['batch-norm']);
  const expected = flags['batch-norm'] ? 422_026 : 421_642;
  if (model.countParams() !== expected) throw new Error(`the model has ${model.countParams()} parameters`);
  const block = flags.nchwc ? await nchwcBlockSize() : null;
  const step = buildTrainingGraph(model, {
    optimizer: 'adam',
    ...(block === null ? {} : { nchwcBlockSize: block }),
  });
  const graph = perRun > 1 ? loopTrainingGraph(step) : step;
  const images = new Float32Array(BATCH_SIZE * 784);
  const labels = new Int32Array(BATCH_SIZE);
  let seed = 1;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  for (let index = 0; index < images.length; index++) images[index] = random();
  for (let index = 0; index < labels.length; index++) labels[index] = Math.floor(random() * 10);
  const batches = Array.from({ length: perRun }, () => ({ images, labels, count: BATCH_SIZE }));
  const state = readTrainingState(model, graph);

  const spinWait = spinChoice(flags.spin);
  const session = await TrainingSession.open(graph, state, { threads, spinWait });
  let msPerStep: number;
  let medianMsPerStep: number;
  let cpuMsPerStep: number;
  let spun = false;
  let trial: TrainingSessionInfo['waitTrials'] = null;
  try {
    // with `--spin auto`, the warm-up holds the first trial of the two ways of waiting, so the timed steps
    // all run on the one it chose
    for (let done = 0; done < 5 || (session.info.waitTrials?.trials === 0 && done < 500); done += perRun)
      await session.steps(batches, { learningRate: 0.001 });
    // per step: a run's time shared among its steps
    const durations: number[] = [];
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    for (let run = 0; run < runs; run++) {
      const runStarted = performance.now();
      await session.steps(batches, { learningRate: 0.001 });
      durations.push((performance.now() - runStarted) / perRun);
    }
    msPerStep = (performance.now() - started) / steps;
    medianMsPerStep = median(durations);
    const cpu = process.cpuUsage(cpuStarted);
    cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
    spun = session.info.spinWait;
    trial = session.info.waitTrials;
  } finally {
    await session.release();
  }

  let tables: ReturnType<typeof profileTables> = { operators: [], layers: [] };
  if (flags.profile) {
    const folder = mkdtempSync(join(tmpdir(), 'cnnx-train-profile-'));
    // profiled with the threads waiting as the timed steps' did
    const profiled = await TrainingSession.open(graph, state, {
      threads,
      spinWait: spun,
      profileFilePrefix: join(folder, 'step'),
    });
    try {
      const profiledRuns = Math.ceil(10 / perRun);
      const profiledSteps = profiledRuns * perRun;
      // one run more: the first, which the tables leave out
      for (let run = 0; run <= profiledRuns; run++) await profiled.steps(batches, { learningRate: 0.001 });
      profiled.endProfiling();
      const file = readdirSync(folder).find((name) => name.endsWith('.json'));
      if (file) tables = profileTables(join(folder, file), profiledSteps);
    } finally {
      await profiled.release();
      rmSync(folder, { recursive: true, force: true });
    }
  }
  const result = {
    backend: 'onnxruntime',
    model: flags['batch-norm'] ? 'classic+bn' : 'classic',
    threads,
    spin: flags.spin,
    spinWait: spun,
    waitTrials: trial,
    batchSize: BATCH_SIZE,
    imagesPerSecond: (BATCH_SIZE * 1000) / msPerStep,
    msPerStep,
    medianMsPerStep,
    imagesPerCpuSecond: (BATCH_SIZE * 1000) / cpuMsPerStep,
    steps,
    stepsPerRun: perRun,
    loadAverage: loadavg()[0],
    ...tables,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
