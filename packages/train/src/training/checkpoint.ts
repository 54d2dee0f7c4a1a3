import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelNotFoundError } from '../errors.js';
import { loadModel, modelFiles, writeFolderAtomic } from '../model-io.js';
import type { TrainState } from '../types.js';
import type { ResumePoint } from './train.js';

export const CHECKPOINT_FILE = 'checkpoint.json';
export const OPTIMIZER_FILE = 'optimizer.bin';

/** What `checkpoint.json` holds next to the model files. */
interface CheckpointJson {
  format: 'cnnx-checkpoint/1';
  savedAt: string;
  state: TrainState;
  optimizer: { weights: tf.io.WeightsManifestEntry[] };
  /** The caller's run configuration, so `--resume` needs nothing else. */
  config: unknown;
}

/**
 * Writes a training checkpoint — the model (tfjs format), the optimizer's weights (Adam's moments,
 * momentum buffers, the step count) and the loop's state — as one folder, atomically.
 *
 * @example
 * await trainModel(model, data, {
 *   onCheckpoint: (state, optimizer) => saveCheckpoint('runs/a/checkpoint', model, optimizer, state, config),
 * });
 */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: TrainState,
  config: unknown,
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
  const data = encoded.data;
  files[OPTIMIZER_FILE] = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
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
  const bytes = await readFile(join(dir, OPTIMIZER_FILE));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const decoded = tf.io.decodeWeights(buffer, checkpoint.optimizer.weights);
  const optimizerWeights = checkpoint.optimizer.weights.map((spec) => ({
    name: spec.name,
    tensor: decoded[spec.name]!,
  }));
  return { model, resume: { state: checkpoint.state, optimizerWeights }, config: checkpoint.config };
}
