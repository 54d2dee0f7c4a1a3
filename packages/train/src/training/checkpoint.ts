import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFolderAtomic } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import { ModelNotFoundError } from '../errors.js';
import { loadModel, modelFiles } from '../model-io.js';
import type { TrainState } from '../types.js';
import type { OptimizerState, ResumePoint } from './train.js';

export const CHECKPOINT_FILE = 'checkpoint.json';
export const OPTIMIZER_FILE = 'optimizer.bin';
export const BEST_WEIGHTS_FILE = 'best-weights.bin';

/** What `checkpoint.json` holds next to the model files. */
interface CheckpointJson {
  format: 'cnnx-checkpoint/1';
  savedAt: string;
  state: TrainState;
  optimizer: { weights: tf.io.WeightsManifestEntry[] };
  /** Early stopping's best weights so far, in `model.getWeights()` order, when restore-best is on. */
  bestWeights?: tf.io.WeightsManifestEntry[];
  /** The caller's run configuration, so `--resume` needs nothing else. */
  config: unknown;
}

function joined(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
}

async function readBuffer(path: string): Promise<ArrayBuffer> {
  const bytes = await readFile(path);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Writes a training checkpoint — the model (tfjs format), the optimizer's weights (Adam's moments,
 * momentum buffers, the step count, in tfjs's names and order whichever engine trained), the loop's state and early stopping's best weights when
 * given — as one folder, atomically.
 *
 * @example
 * await trainModel(model, data, {
 *   onCheckpoint: (state, optimizer, best) => saveCheckpoint('runs/a/checkpoint', model, optimizer, state, config, best),
 * });
 */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: OptimizerState,
  state: TrainState,
  config: unknown,
  bestWeights: tf.Tensor[] | null = null,
): Promise<void> {
  const files = await modelFiles(model);
  const named = await optimizer.getWeights();
  const encoded = await tf.io.encodeWeights(named);
  const checkpoint: CheckpointJson = {
    format: 'cnnx-checkpoint/1',
    savedAt: new Date().toISOString(),
    state,
    optimizer: { weights: encoded.specs },
    config,
  };
  files[OPTIMIZER_FILE] = joined(encoded.data);
  if (bestWeights) {
    const best = await tf.io.encodeWeights(
      bestWeights.map((tensor, index) => ({ name: `best_${index}`, tensor })),
    );
    checkpoint.bestWeights = best.specs;
    files[BEST_WEIGHTS_FILE] = joined(best.data);
  }
  files[CHECKPOINT_FILE] = JSON.stringify(checkpoint);
  await writeFolderAtomic(dir, files);
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}: the model with its weights, the loop state,
 * the optimizer's weights (in their original order) and the saved run configuration.
 *
 * @example
 * const { model, resume, config } = await loadCheckpoint('runs/a/checkpoint');
 * await trainModel(model, data, { ...config.train, resume });
 */
export async function loadCheckpoint(
  dir: string,
): Promise<{ model: tf.LayersModel; resume: ResumePoint; config: unknown }> {
  const file = join(dir, CHECKPOINT_FILE);
  let checkpoint: CheckpointJson;
  try {
    checkpoint = JSON.parse(await readFile(file, 'utf8')) as CheckpointJson;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelNotFoundError(
      dir,
      code === 'ENOENT'
        ? `no checkpoint in ${dir}: looked for ${file}`
        : `cannot read checkpoint ${file}: ${code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  if (checkpoint.format !== 'cnnx-checkpoint/1') {
    throw new ModelNotFoundError(
      dir,
      `${file} is not a cnnx checkpoint (format ${JSON.stringify(checkpoint.format)})`,
    );
  }
  const model = await loadModel(dir);
  const decoded = tf.io.decodeWeights(
    await readBuffer(join(dir, OPTIMIZER_FILE)),
    checkpoint.optimizer.weights,
  );
  const optimizerWeights = checkpoint.optimizer.weights.map((spec) => ({
    name: spec.name,
    tensor: decoded[spec.name]!,
  }));
  const resume: ResumePoint = { state: checkpoint.state, optimizerWeights };
  if (checkpoint.bestWeights) {
    const best = tf.io.decodeWeights(await readBuffer(join(dir, BEST_WEIGHTS_FILE)), checkpoint.bestWeights);
    resume.bestWeights = checkpoint.bestWeights.map((spec) => best[spec.name]!);
  }
  return { model, resume, config: checkpoint.config };
}
