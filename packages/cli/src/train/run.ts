import { join, resolve } from 'node:path';
// registers the onnxruntime training engine (--backend auto|onnxruntime)
import '@cnnx/runtime/training';
import {
  type Checkpoint,
  describeRun,
  formatModelSummary,
  InputShapeError,
  isPresetName,
  type LossName,
  loadRunCheckpoint,
  ModelSpecError,
  NonFiniteLossError,
  type OptimizerName,
  type RunConfig,
  type RunData,
  type RunSettings,
  readModelArgument,
  runConfig,
  saveRun,
  trainRun,
} from '@cnnx/train';
import type { Command } from 'commander';
import { checkTrainingDevice } from '../device.js';
import { CliError, UsageError } from '../errors.js';
import { printJson, say } from '../io.js';
import { describeKeras, kerasFileOf } from '../layers-model.js';
import { checkOutputPath } from '../output-paths.js';
import { createTrainingProgress, onInterrupt, sayBackend } from '../progress.js';

/** The flags of `cnnx train`, as commander parses them (the run's settings, and how to carry it out). */
export type TrainFlags = Omit<RunSettings, 'dataset' | 'modelSpec' | 'kerasFile'> & {
  dataset?: string;
  out?: string;
  lr?: number;
  optimizer: OptimizerName;
  loss: LossName;
  backend: string;
  device: 'cpu' | 'cuda';
  threads?: number;
  resume?: string;
  dataDir?: string;
  force?: boolean;
  json?: boolean;
};

/** Resumes from `--resume DIR` or starts from the flags; fails with one line on a bad combination. */
async function prepare(
  flags: TrainFlags,
  command: Command,
): Promise<{ out: string; config: RunConfig; checkpoint?: Checkpoint }> {
  if (flags.resume) {
    const out = resolve(flags.resume);
    if (flags.out && resolve(flags.out) !== out) {
      throw new UsageError(
        `--out ${flags.out} differs from --resume ${flags.resume}: a resumed run writes to its own folder`,
      );
    }
    // the run's own folder: only whether it can be written is checked
    await checkOutputPath({ flag: '--resume', path: flags.resume, kind: 'folder', force: true });
    const { config, checkpoint } = await loadRunCheckpoint(out).catch((error: Error) => {
      throw new CliError(`cannot resume ${flags.resume}: ${error.message}`, { cause: error });
    });
    const scale = config.inputScale ?? 'unit';
    if (flags.inputScale !== undefined && flags.inputScale !== scale) {
      throw new UsageError(
        `--input-scale ${flags.inputScale}: the run in ${flags.resume} trains with ${scale}`,
      );
    }
    if (command.getOptionValueSource('epochs') === 'cli' && flags.epochs !== undefined)
      config.epochs = flags.epochs;
    const done = checkpoint.resume.state.epochsDone;
    if (done >= config.epochs) {
      throw new UsageError(
        `${out} has already trained ${done} epochs; ask for more with --epochs N (N > ${done})`,
      );
    }
    return { out, config, checkpoint };
  }
  if (!flags.dataset) throw new UsageError('--dataset <spec> is required (or --resume DIR)');
  if (!flags.out) throw new UsageError('--out <dir> is required (or --resume DIR)');
  await checkOutputPath({
    flag: '--out',
    path: flags.out,
    kind: 'folder',
    force: Boolean(flags.force),
    alternative: `continue a run in it with --resume ${flags.out}, choose another folder`,
  });
  // a Keras file (.h5 or .keras) is fine-tuned; trainRun reads it
  const kerasFile = isPresetName(flags.model) ? undefined : await kerasFileOf(flags.model);
  const modelSpec = kerasFile
    ? null
    : await readModelArgument(flags.model).catch((error: Error) => {
        throw error instanceof RangeError
          ? new UsageError(`--model ${error.message}, nor a Keras .h5/.keras file`)
          : error;
      });
  const settings: RunSettings = {
    ...flags,
    dataset: flags.dataset,
    modelSpec,
    learningRate: flags.lr,
    ...(kerasFile ? { kerasFile } : {}),
  };
  return { out: resolve(flags.out), config: runConfig(settings) };
}

/**
 * Runs `cnnx train`: trains through `@cnnx/train`'s `trainRun` with a progress bar and a checkpoint per epoch,
 * and writes DIR/model + DIR/run.json. Ctrl-C saves a checkpoint at the current batch and exits with 130.
 *
 * @example
 * await runTrain({ dataset: 'mnist-sample', out: 'runs/a', model: 'tiny', epochs: 1, … }, command);
 */
export async function runTrain(flags: TrainFlags, command: Command): Promise<void> {
  checkTrainingDevice(flags.backend, flags.device);
  const { out, config, checkpoint } = await prepare(flags, command);
  const progress = createTrainingProgress();
  const interruption = onInterrupt();
  let run: Awaited<ReturnType<typeof trainRun>>;
  let data: RunData | undefined;
  let backend = '';
  try {
    run = await trainRun(
      config,
      {
        onData: (loaded) => {
          data = loaded;
          if (config.batchSize > loaded.train.count) {
            throw new UsageError(
              `--batch-size ${config.batchSize} is larger than the training set (${loaded.train.count} images); use at most ${loaded.train.count}`,
            );
          }
        },
        onBackend: (chosen) => {
          backend = chosen.name;
          sayBackend(chosen);
        },
        onModel: (model, { config: trained, keras }) => {
          if (keras) for (const line of describeKeras(keras)) say(line);
          say(formatModelSummary(model));
          const state = checkpoint?.resume.state;
          if (state) {
            const batch = state.batchesDone ? `, batch ${state.batchesDone}` : '';
            say(`resuming ${out} after epoch ${state.epochsDone}${batch}`);
          }
          if (data) say(describeRun(trained, data, backend));
        },
        onBatchEnd: progress.batch,
        onEpochEnd: progress.epoch,
        shouldStop: interruption.requested,
      },
      {
        backend: flags.backend,
        device: flags.device,
        threads: flags.threads,
        checkpointDir: join(out, 'checkpoint'),
        resume: checkpoint,
        ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
      },
    );
  } catch (error) {
    progress.stop();
    if (error instanceof ModelSpecError || error instanceof InputShapeError) {
      throw new CliError(`--model ${config.model}: ${error.message}`, { cause: error });
    }
    if (error instanceof NonFiniteLossError) throw new CliError(`${error.message} (--lr)`, { cause: error });
    throw error;
  } finally {
    interruption.dispose();
  }
  progress.stop();
  const { training, manifest } = run;
  if (training.stopReason === 'interrupted') {
    say(
      `checkpoint saved in ${join(out, 'checkpoint')} after ${training.state.epochsDone} epochs, ${training.state.batchesDone} batches; continue with: cnnx train --resume ${flags.resume ?? flags.out}`,
    );
    process.exitCode = 130;
    return;
  }
  await saveRun(out, run);
  const last = training.history.at(-1);
  say(
    `done: ${training.history.length} epochs (${training.stopReason}${training.bestEpoch ? `, weights of epoch ${training.bestEpoch}` : ''}) in ${training.seconds.toFixed(1)} s` +
      `${last?.valAccuracy !== undefined ? `, val_acc ${last.valAccuracy.toFixed(4)}` : ''}; wrote ${join(out, 'model')} and ${join(out, 'run.json')}`,
  );
  if (flags.json) printJson(manifest);
}
