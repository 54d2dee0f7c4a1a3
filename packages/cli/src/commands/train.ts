import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import {
  type Augmentation,
  type Dataset,
  version as dataVersion,
  stratifiedSample,
  stratifiedSplit,
  subset,
} from '@cnnx/data';
import {
  type BackendInfo,
  type BackendName,
  buildModel,
  formatModelSummary,
  InputShapeError,
  initBackend,
  isPresetName,
  type LearningRateSchedule,
  type LossName,
  loadCheckpoint,
  type ModelSpec,
  ModelSpecError,
  NonFiniteLossError,
  type OptimizerName,
  PRESET_NAMES,
  presets,
  readModelSpec,
  saveCheckpoint,
  saveModel,
  type TrainResult,
  trainModel,
  version as trainVersion,
} from '@cnnx/train';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { printJson, say, writeJsonAtomic } from '../io.js';
import { choice, integer, number } from '../options.js';
import { createTrainingProgress } from '../progress.js';
import { loadSplit } from './evaluate.js';

const SCHEDULES = ['constant', 'step', 'cosine', 'plateau'] as const;
const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
const LOSSES = ['sparse-categorical-crossentropy', 'categorical-crossentropy'] as const;

/** The flags of `cnnx train`, as commander parses them. */
interface TrainFlags {
  dataset?: string;
  out?: string;
  model: string;
  epochs?: number;
  batchSize: number;
  lr?: number;
  optimizer: OptimizerName;
  momentum?: number;
  nesterov?: boolean;
  schedule?: (typeof SCHEDULES)[number];
  loss: LossName;
  labelSmoothing: number;
  validationSplit: number;
  patience?: number;
  augment?: boolean | Augmentation;
  limit?: number;
  seed: number;
  backend: BackendName | 'auto';
  threads?: number;
  resume?: string;
  json?: boolean;
}

/** Everything a run was started with: saved in the checkpoint so `--resume DIR` needs nothing else. */
export interface RunConfig {
  dataset: string;
  model: string;
  modelSpec: ModelSpec | null;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number | undefined;
  momentum: number | undefined;
  nesterov: boolean;
  schedule: LearningRateSchedule;
  loss: LossName;
  labelSmoothing: number;
  validationSplit: number;
  earlyStopping: { patience: number; restoreBest: boolean } | null;
  /** The augmentation (checkpoints written before `--augment KINDS` existed hold `true` or `false`). */
  augment: Augmentation | boolean;
  limit: number | null;
  seed: number;
}

/** `cnnx train`: trains a preset or a JSON spec on a dataset, with checkpoints and `--resume`. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('train')
    .description('train a model on a dataset; writes DIR/model (tfjs), DIR/run.json and DIR/checkpoint')
    .option('--dataset <spec>', 'dataset spec: mnist-sample, mnist, fashion-mnist, idx:DIR, csv:FILE, …')
    .option('--out <dir>', 'run folder to write')
    .option(
      '--model <name|file.json>',
      `a preset (${PRESET_NAMES.join(', ')}) or a JSON spec file`,
      'classic',
    )
    .option(
      '--epochs <n>',
      "passes over the training set (default 5, or the preset's own: best trains 10)",
      integer('--epochs', { min: 1 }),
    )
    .option('--batch-size <n>', 'images per step', integer('--batch-size', { min: 1 }), 64)
    .option(
      '--lr <rate>',
      "learning rate (default 0.001 for adam/rmsprop, 0.01 for sgd, or the preset's own: best uses 0.002)",
      number('--lr', { above: 0 }),
    )
    .option('--optimizer <name>', 'adam, sgd or rmsprop', choice('--optimizer', OPTIMIZERS), 'adam')
    .option('--momentum <m>', 'momentum for sgd/rmsprop', number('--momentum', { min: 0, max: 0.999 }))
    .option('--nesterov', 'Nesterov momentum (sgd)')
    .option(
      '--schedule <name>',
      'learning rate: constant (default; best uses cosine), step (halved every 2 epochs), cosine (toward 0), plateau (halved when validation loss stalls)',
      choice('--schedule', SCHEDULES),
    )
    .option('--loss <name>', 'loss function', choice('--loss', LOSSES), 'sparse-categorical-crossentropy')
    .option('--label-smoothing <f>', 'label smoothing', number('--label-smoothing', { min: 0, max: 0.5 }), 0)
    .option(
      '--validation-split <f>',
      'fraction of the training images held out for validation (0 for none)',
      number('--validation-split', { min: 0, max: 0.5 }),
      0.1,
    )
    .option(
      '--patience <n>',
      'early stopping: epochs without improvement (restores the best)',
      integer('--patience', { min: 1 }),
    )
    .option(
      '--augment [kinds]',
      'random changes to each training image: a comma list of shift[=px], rotate[=degrees], zoom[=fraction], flip (mirror left-right: clothing and objects, never digits); alone: shift,rotate,zoom (on by default for the best preset)',
      augmentation,
    )
    .option('--no-augment', 'turn augmentation off')
    .option(
      '--limit <n>',
      'train on a stratified sample of N images (quick runs)',
      integer('--limit', { min: 1 }),
    )
    .option(
      '--seed <n>',
      'seed of the weights, shuffles, dropout and splits',
      integer('--seed', { min: 0 }),
      42,
    )
    .option('--backend <name>', 'training backend', choice('--backend', BACKENDS), 'auto')
    .option(
      '--threads <n>',
      'wasm backend threads (default: one per core, at most 8)',
      integer('--threads', { min: 1, max: 8 }),
    )
    .option('--resume <dir>', 'continue the run in DIR from its last checkpoint')
    .option('--json', 'print the run manifest as one JSON document on stdout')
    .addHelpText(
      'after',
      '\nExamples:\n  $ cnnx train --dataset mnist-sample --out runs/digits --epochs 3\n  $ cnnx train --dataset fashion-mnist --out runs/fashion --model best --epochs 20 --schedule cosine\n  $ cnnx train --resume runs/digits          # after Ctrl-C or a crash',
    )
    .action(async (flags: TrainFlags, command: Command) => {
      await runTrain(flags, command);
    });
}

function configFromFlags(flags: TrainFlags, spec: ModelSpec | null): RunConfig {
  const preset = isPresetName(flags.model) ? presets[flags.model] : undefined;
  const scheduleName = flags.schedule ?? preset?.training?.schedule ?? 'constant';
  const schedule: LearningRateSchedule =
    scheduleName === 'step'
      ? { type: 'step', everyEpochs: 2, factor: 0.5 }
      : scheduleName === 'cosine'
        ? { type: 'cosine' }
        : scheduleName === 'plateau'
          ? { type: 'plateau', factor: 0.5, patience: 1 }
          : { type: 'constant' };
  return {
    dataset: flags.dataset!,
    model: flags.model,
    modelSpec: spec,
    epochs: flags.epochs ?? preset?.training?.epochs ?? 5,
    batchSize: flags.batchSize,
    optimizer: flags.optimizer,
    // The preset's rate was measured with Adam; other optimizers keep their own defaults.
    learningRate: flags.lr ?? (flags.optimizer === 'adam' ? preset?.training?.learningRate : undefined),
    momentum: flags.momentum,
    nesterov: Boolean(flags.nesterov),
    schedule,
    loss: flags.loss,
    labelSmoothing: flags.labelSmoothing,
    validationSplit: flags.validationSplit,
    earlyStopping: flags.patience ? { patience: flags.patience, restoreBest: true } : null,
    augment: flags.augment ?? preset?.augment ?? false,
    limit: flags.limit ?? null,
    seed: flags.seed,
  };
}

/** `--augment` alone: Keras' usual `ImageDataGenerator` settings for digits. */
const DEFAULT_AUGMENTATION: Readonly<Required<Omit<Augmentation, 'flip'>>> = {
  shift: 2,
  rotate: 10,
  zoom: 0.1,
};
const AUGMENTATION_LIMITS = { shift: 8, rotate: 180, zoom: 0.5 } as const;

/**
 * Parses `--augment [kinds]`: `true` (the flag alone) or a comma list of `shift[=px]`, `rotate[=degrees]`,
 * `zoom[=fraction]` and `flip`.
 *
 * @example
 * augmentation('shift,flip'); // { shift: 2, flip: true }
 * augmentation('rotate=15');  // { rotate: 15 }
 */
export function augmentation(value: string | boolean): Augmentation | boolean {
  if (typeof value === 'boolean') return value;
  const result: Augmentation = {};
  for (const part of value.split(',').map((entry) => entry.trim())) {
    const [kind = '', amount] = part.split('=') as [string, string | undefined];
    if (kind === 'flip' && amount === undefined) {
      result.flip = true;
      continue;
    }
    if (kind !== 'shift' && kind !== 'rotate' && kind !== 'zoom') {
      throw new InvalidArgumentError(
        `'${part}' is not an augmentation; expected a comma list of shift[=px], rotate[=degrees], zoom[=fraction], flip for --augment`,
      );
    }
    const limit = AUGMENTATION_LIMITS[kind];
    const parsed = amount === undefined ? DEFAULT_AUGMENTATION[kind] : Number(amount);
    if (!(parsed > 0 && parsed <= limit) || amount?.trim() === '') {
      throw new InvalidArgumentError(`'${part}': expected ${kind}=N with 0 < N ≤ ${limit} for --augment`);
    }
    result[kind] = parsed;
  }
  return result;
}

/** The augmentation a run's configuration asks for (`true` is the default set), or undefined for none. */
function augmentationOf(setting: Augmentation | boolean): Augmentation | undefined {
  if (setting === true) return { ...DEFAULT_AUGMENTATION };
  return setting === false ? undefined : setting;
}

function describeAugmentation(setting: Augmentation | undefined): string {
  if (setting === undefined) return '';
  const parts = Object.entries(setting)
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([kind, value]) => (value === true ? kind : `${kind} ${value}`));
  return `, augmenting (${parts.join(', ')})`;
}

function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const result: Record<string, string> = {
    node: process.versions.node,
    '@cnnx/train': trainVersion,
    '@cnnx/data': dataVersion,
  };
  for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) {
    try {
      result[name] = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      result[name] = 'unknown';
    }
  }
  return result;
}

async function readSpecFlag(model: string): Promise<ModelSpec | null> {
  if (isPresetName(model)) return null;
  if (!model.endsWith('.json')) {
    throw new UsageError(
      `--model "${model}" is not a preset (${PRESET_NAMES.join(', ')}) or a .json spec file`,
    );
  }
  return readModelSpec(model);
}

/** Splits off a stratified validation set from the training images. */
function splitValidation(
  train: Dataset,
  fraction: number,
  seed: number,
): { train: Dataset; validation?: Dataset } {
  if (fraction <= 0) return { train };
  const parts = stratifiedSplit(train.labels, fraction, seed + 1);
  return { train: subset(train, parts.train), validation: subset(train, parts.test) };
}

/** Resumes from `--resume DIR` or starts from the flags; fails with one line on a bad combination. */
async function prepare(flags: TrainFlags, command: Command) {
  if (flags.resume) {
    const out = resolve(flags.resume);
    if (flags.out && resolve(flags.out) !== out) {
      throw new UsageError(
        `--out ${flags.out} differs from --resume ${flags.resume}: a resumed run writes to its own folder`,
      );
    }
    const checkpoint = await loadCheckpoint(join(out, 'checkpoint')).catch((error: Error) => {
      throw new CliError(`cannot resume ${flags.resume}: ${error.message}`, { cause: error });
    });
    const config = checkpoint.config as RunConfig;
    if (command.getOptionValueSource('epochs') === 'cli' && flags.epochs !== undefined)
      config.epochs = flags.epochs;
    return { out, config, checkpoint };
  }
  if (!flags.dataset) throw new UsageError('--dataset <spec> is required (or --resume DIR)');
  if (!flags.out) throw new UsageError('--out <dir> is required (or --resume DIR)');
  const spec = await readSpecFlag(flags.model);
  return { out: resolve(flags.out), config: configFromFlags(flags, spec), checkpoint: undefined };
}

/**
 * Runs `cnnx train`: picks the backend, loads the data, builds (or resumes) the model, trains with a
 * progress bar and a checkpoint per epoch, and writes DIR/model + DIR/run.json. Ctrl-C saves a
 * checkpoint at the current batch and exits with code 130.
 *
 * @example
 * await runTrain({ dataset: 'mnist-sample', out: 'runs/a', model: 'tiny', epochs: 1, … }, command);
 */
export async function runTrain(flags: TrainFlags, command: Command): Promise<void> {
  const started = performance.now();
  const { out, config, checkpoint } = await prepare(flags, command);
  const backend: BackendInfo = await initBackend(
    flags.backend,
    flags.threads === undefined ? {} : { threads: flags.threads },
  );
  const skipped = backend.skipped.map((entry) => `${entry.name}: ${entry.reason}`).join('; ');
  const threads = backend.threads ? `, ${backend.threads} threads` : '';
  say(`backend: ${backend.name}${threads}${skipped ? ` (skipped ${skipped})` : ''}`);

  const loaded = await loadSplit(config.dataset, 'train', config.seed);
  const limited =
    config.limit && config.limit < loaded.count
      ? subset(loaded, stratifiedSample(loaded.labels, config.limit, config.seed + 2))
      : loaded;
  const data = splitValidation(limited, config.validationSplit, config.seed);
  const dataSeconds = (performance.now() - started) / 1000;
  if (config.batchSize > data.train.count) {
    throw new UsageError(
      `--batch-size ${config.batchSize} is larger than the training set (${data.train.count} images); use at most ${data.train.count}`,
    );
  }
  const shape = [...data.train.shape] as [number, number, number];
  let model: ReturnType<typeof buildModel>;
  try {
    model =
      checkpoint?.model ??
      buildModel(config.modelSpec ?? config.model, {
        inputShape: shape,
        numClasses: data.train.classNames.length,
        seed: config.seed,
      });
  } catch (error) {
    if (error instanceof ModelSpecError || error instanceof InputShapeError) {
      throw new CliError(`--model ${config.model}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  say(formatModelSummary(model));
  const done = checkpoint?.resume.state.epochsDone ?? 0;
  if (checkpoint)
    say(
      `resuming ${out} after epoch ${done}${checkpoint.resume.state.batchesDone ? `, batch ${checkpoint.resume.state.batchesDone}` : ''}`,
    );
  if (done >= config.epochs) {
    throw new UsageError(
      `${out} has already trained ${done} epochs; ask for more with --epochs N (N > ${done})`,
    );
  }
  say(
    `training ${config.model} on ${data.train.count} images of ${config.dataset}` +
      `${data.validation ? ` (validating on ${data.validation.count})` : ''}: ${config.epochs} epochs, batch ${config.batchSize}, ${config.optimizer}` +
      `${describeAugmentation(augmentationOf(config.augment))}, seed ${config.seed}, backend ${backend.name}`,
  );

  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say('\ninterrupted: saving a checkpoint after this batch (Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', onSigint);
  const progress = createTrainingProgress();
  const checkpointDir = join(out, 'checkpoint');
  let result: TrainResult;
  try {
    result = await trainModel(model, data, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      optimizer: config.optimizer,
      learningRate: config.learningRate,
      momentum: config.momentum,
      nesterov: config.nesterov,
      schedule: config.schedule,
      loss: config.loss,
      labelSmoothing: config.labelSmoothing,
      seed: config.seed,
      earlyStopping: config.earlyStopping ?? undefined,
      augment: augmentationOf(config.augment),
      resume: checkpoint?.resume,
      onBatchEnd: (logs) => progress.batch(logs),
      onEpochEnd: (logs) => progress.epoch(logs),
      onCheckpoint: (state, optimizer, best) =>
        saveCheckpoint(checkpointDir, model, optimizer, state, config, best),
      shouldStop: () => interrupted,
    });
  } catch (error) {
    progress.stop();
    if (error instanceof NonFiniteLossError) throw new CliError(`${error.message} (--lr)`, { cause: error });
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
  progress.stop();
  if (result.stopReason === 'interrupted') {
    say(
      `checkpoint saved in ${checkpointDir} after ${result.state.epochsDone} epochs, ${result.state.batchesDone} batches; continue with: cnnx train --resume ${flags.resume ?? flags.out}`,
    );
    process.exitCode = 130;
    return;
  }

  const manifest = {
    format: 'cnnx-run/1',
    createdAt: new Date().toISOString(),
    config,
    dataset: {
      spec: config.dataset,
      shape,
      classNames: data.train.classNames,
      trainCount: data.train.count,
      validationCount: data.validation?.count ?? 0,
      files: loaded.source.files,
    },
    backend: { name: backend.name, skipped: backend.skipped },
    versions: versions(),
    model: { name: model.name, parameters: model.countParams() },
    stopReason: result.stopReason,
    bestEpoch: result.bestEpoch,
    timings: {
      dataSeconds,
      trainSeconds: result.seconds,
      totalSeconds: (performance.now() - started) / 1000,
    },
    history: result.history,
  };
  await saveModel(model, join(out, 'model'), manifest);
  await writeJsonAtomic(join(out, 'run.json'), manifest);
  const last = result.history.at(-1);
  say(
    `done: ${result.history.length} epochs (${result.stopReason}${result.bestEpoch ? `, weights of epoch ${result.bestEpoch}` : ''}) in ${result.seconds.toFixed(1)} s` +
      `${last?.valAccuracy !== undefined ? `, val_acc ${last.valAccuracy.toFixed(4)}` : ''}; wrote ${join(out, 'model')} and ${join(out, 'run.json')}`,
  );
  if (flags.json) printJson(manifest);
}
