/**
 * A training run, start to end, behind one call: its images, the backend it trains on (chosen here and
 * nowhere else), the model (built, or read from a checkpoint), the training loop (`trainModel`, the
 * per-step work) with a checkpoint after every epoch, and the manifest. `cnnx train`, `cnnx quickstart` and
 * `cnnx compare` all train through {@link trainRun}.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '@cnnx/data';
import type * as tf from '@tensorflow/tfjs';
import { BACKEND_LADDER, defaultWasmThreads, initBackend } from '../backend.js';
import { resolveTrainingEngine } from '../engines/registry.js';
import { readKerasModel } from '../keras/read-keras-model.js';
import type { KerasModel } from '../keras/types.js';
import { saveModel } from '../model-io.js';
import { buildModel } from '../models/build.js';
import { loadCheckpoint, saveCheckpoint } from '../training/checkpoint.js';
import { engineSettingsOf, trainModel } from '../training/train.js';
import type { BackendInfo, BackendName, TrainCallbacks, TrainResult } from '../types.js';
import { augmentationOf, describeAugmentation } from './augmentation.js';
import { type RunConfig, readRunConfig, trainOptionsOf } from './run-config.js';
import { loadRunData, type RunData } from './run-data.js';
import { type RunManifest, runManifest } from './run-manifest.js';

/** A checkpoint as `loadCheckpoint` reads it: the model, the loop's state and the saved configuration. */
export type Checkpoint = Awaited<ReturnType<typeof loadCheckpoint>>;

/** The hooks of a run, called in this order; any may throw to stop it (a command refusing a combination, say). */
export interface RunCallbacks extends Omit<TrainCallbacks, 'onCheckpoint'> {
  /** The images are loaded. */
  onData?(data: RunData): void | Promise<void>;
  /** The backend is chosen, once the model is built (the ones passed over, with why, are in `skipped`). */
  onBackend?(backend: BackendInfo): void | Promise<void>;
  /**
   * The model is built (or read from the checkpoint or the Keras file) and about to train. `config` is the
   * run's configuration as it trains (a Keras file's reader may have chosen its input scale); `keras` is what
   * the reader made of the file, for a run that starts from one.
   */
  onModel?(model: tf.LayersModel, details: { config: RunConfig; keras?: KerasModel }): void | Promise<void>;
}

/** How a run is carried out; none of it is part of the run's configuration. */
export interface RunOptions {
  /**
   * The backend to train on (default `auto`: onnxruntime when it is registered and covers the model, else
   * tensorflow → wasm → cpu). tfjs still evaluates, saves and exports the model on the ladder's backend.
   */
  backend?: string;
  /** onnxruntime's device: `cpu` (default) or `cuda`. */
  device?: 'cpu' | 'cuda';
  /** Threads of the wasm backend and of onnxruntime (default: one per core, at most 8). */
  threads?: number;
  /** Write a checkpoint here after every epoch and on interruption. */
  checkpointDir?: string;
  /** Continue this checkpoint's run: its model, loop state and optimizer. */
  resume?: Checkpoint;
  /** Images already loaded for a run with the same dataset settings (`cnnx compare` trains several models on one split). */
  data?: RunData;
  /** The run's id (default: a new UUID). */
  runId?: string;
  /** A folder `mnist` and `fashion-mnist` are looked for in first (`--data-dir`). */
  dataDir?: string;
}

/** A run that ended: the trained model (the caller disposes it), where it ran, on what, and how it went. */
export interface RunResult {
  runId: string;
  model: tf.LayersModel;
  backend: BackendInfo;
  data: RunData;
  training: TrainResult;
  manifest: RunManifest;
}

/**
 * Carries out a run: loads its images ({@link loadRunData}), chooses the backend (`initBackend`), builds the
 * model (or takes the checkpoint's, or reads `config.kerasFile` with `readKerasModel` to fine-tune it), trains it with `trainModel` (checkpointing after every epoch when
 * `checkpointDir` is given) and describes the run in its manifest. Errors pass through: a spec that does not
 * build (`ModelSpecError`, `InputShapeError`), a Keras file that cannot be read (`KerasFormatError`,
 * `UnsupportedLayerError`), a diverging loss (`NonFiniteLossError`), a backend that
 * cannot load (`BackendUnavailableError`).
 *
 * @example
 * const run = await trainRun(runConfig({ dataset: 'mnist-sample', model: 'tiny', epochs: 1 }), {
 *   onEpochEnd: (logs) => console.log(logs.epoch, logs.valAccuracy),
 * });
 * await saveRun('runs/tiny', run); // runs/tiny/{model/, run.json}
 */
export async function trainRun(
  asked: RunConfig,
  callbacks: RunCallbacks = {},
  options: RunOptions = {},
): Promise<RunResult> {
  const started = performance.now();
  const data =
    options.data ??
    (await loadRunData(asked, options.dataDir === undefined ? {} : { dataDir: options.dataDir }));
  await callbacks.onData?.(data);
  const dataSeconds = (performance.now() - started) / 1000;
  const preferred = options.backend ?? 'auto';
  const tfjsPreferred = (BACKEND_LADDER as readonly string[]).includes(preferred)
    ? (preferred as BackendName)
    : 'auto';
  const tfjs = await initBackend(
    tfjsPreferred,
    options.threads === undefined ? {} : { threads: options.threads },
  );
  // a Keras file is read as soon as tfjs runs, so that a bad one stops the run before anything is said
  const keras =
    asked.kerasFile === undefined || options.resume
      ? undefined
      : await readKerasModel(
          asked.kerasFile,
          asked.inputScale === undefined ? {} : { inputScale: asked.inputScale },
        );
  // the scale the Keras reader chose (a leading Rescaling(1/255) means raw pixels) is the run's from here on
  const config: RunConfig = keras ? { ...asked, inputScale: keras.inputScale } : asked;
  const [height = 0, width = 0, channels = 1] = data.train.shape;
  const model =
    options.resume?.model ??
    keras?.model ??
    buildModel(config.modelSpec ?? config.model, {
      inputShape: [height, width, channels],
      numClasses: data.train.classNames.length,
      seed: config.seed,
    });
  const trainOptions = trainOptionsOf(config);
  const { engine, skipped } = resolveTrainingEngine(
    preferred,
    model,
    engineSettingsOf(trainOptions),
    tfjs.name as BackendName,
  );
  const onTfjs = engine.name === tfjs.name;
  const device = options.device ?? 'cpu';
  const threads = onTfjs ? tfjs.threads : (options.threads ?? defaultWasmThreads());
  const backend: BackendInfo = {
    name: engine.name,
    skipped: [...skipped, ...(onTfjs ? tfjs.skipped : [])],
    device,
    ...(threads === undefined ? {} : { threads }),
  };
  await callbacks.onBackend?.(backend);
  await callbacks.onModel?.(model, { config, ...(keras ? { keras } : {}) });
  const { checkpointDir } = options;
  const training = await trainModel(
    model,
    { train: data.train, ...(data.validation ? { validation: data.validation } : {}) },
    {
      ...trainOptions,
      engine,
      engineOptions: { device, ...(threads === undefined ? {} : { threads }) },
      resume: options.resume?.resume,
      onBatchEnd: callbacks.onBatchEnd,
      onEpochEnd: callbacks.onEpochEnd,
      shouldStop: callbacks.shouldStop,
      onCheckpoint: checkpointDir
        ? (state, optimizer, best) => saveCheckpoint(checkpointDir, model, optimizer, state, config, best)
        : undefined,
    },
  );
  const runId = options.runId ?? randomUUID();
  const manifest = runManifest({
    runId,
    config,
    data,
    backend,
    model: { name: model.name, parameters: model.countParams() },
    ...(keras ? { keras } : {}),
    training,
    timings: {
      dataSeconds,
      trainSeconds: training.seconds,
      totalSeconds: (performance.now() - started) / 1000,
    },
  });
  return { runId, model, backend, data, training, manifest };
}

/**
 * Writes a finished run into `dir`: `model/` (tfjs format, with the manifest as `manifest.json`) and
 * `run.json`, each atomically.
 *
 * @example
 * await saveRun('runs/digits', await trainRun(config));
 * // runs/digits/{model/model.json, model/weights.bin, model/manifest.json, run.json}
 */
export async function saveRun(dir: string, run: RunResult): Promise<void> {
  await saveModel(run.model, join(dir, 'model'), run.manifest);
  await writeFileAtomic(join(dir, 'run.json'), `${JSON.stringify(run.manifest, null, 2)}\n`);
}

/**
 * Reads the checkpoint of the run in `dir` (`dir/checkpoint`) and the configuration it was started with, to
 * continue it with `trainRun(config, callbacks, { resume: checkpoint })`.
 *
 * @example
 * const { config, checkpoint } = await loadRunCheckpoint('runs/digits');
 * checkpoint.resume.state.epochsDone; // 2
 */
export async function loadRunCheckpoint(dir: string): Promise<{ config: RunConfig; checkpoint: Checkpoint }> {
  const checkpoint = await loadCheckpoint(join(dir, 'checkpoint'));
  return { config: readRunConfig(checkpoint.config), checkpoint };
}

/**
 * The line a run starts with: what trains on how many images, how, and on which backend.
 *
 * @example
 * describeRun(config, data, 'wasm');
 * // → 'training best on 7650 images of mnist-sample (validating on 850): 10 epochs, batch 64, adam, augmenting (shift 2, rotate 10, zoom 0.1), seed 42, backend wasm'
 */
export function describeRun(config: RunConfig, data: RunData, backend: string): string {
  const augment = describeAugmentation(augmentationOf(config.augment));
  const validation = data.validation ? ` (validating on ${data.validation.count})` : '';
  return (
    `training ${config.model} on ${data.train.count} images of ${config.dataset}${validation}: ` +
    `${config.epochs} epochs, batch ${config.batchSize}, ${config.optimizer}` +
    `${augment ? `, augmenting (${augment})` : ''}` +
    `${config.inputScale && config.inputScale !== 'unit' ? `, input scale ${config.inputScale}` : ''}` +
    `, seed ${config.seed}, backend ${backend}`
  );
}
