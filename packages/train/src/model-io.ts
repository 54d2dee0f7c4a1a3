import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  ModelFormatError,
  resolveInsideFolder,
  weightsByteLength,
  weightsManifestProblem,
  writeFolderAtomic,
} from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import { ModelNotFoundError } from './errors.js';

/** The files of a model folder in tfjs's Layers format. */
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const MANIFEST_FILE = 'manifest.json';

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (Array.isArray(data)) return new Uint8Array(tf.io.concatenateArrayBuffers(data));
  return new Uint8Array(data);
}

/** Captures what `model.save` would write: the topology and the weights in one buffer. */
async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (captured === undefined) throw new Error('tfjs did not hand over the model artifacts');
  return captured;
}

/**
 * The files of a model folder: `model.json` (topology + weights manifest), `weights.bin`, and
 * `manifest.json` when a manifest is given.
 *
 * @example
 * Object.keys(await modelFiles(model)); // ['model.json', 'weights.bin']
 */
export async function modelFiles(
  model: tf.LayersModel,
  manifest?: unknown,
): Promise<Record<string, string | Uint8Array>> {
  const artifacts = await modelArtifacts(model);
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers} (cnnx)`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
  };
  const files: Record<string, string | Uint8Array> = {
    [MODEL_FILE]: JSON.stringify(modelJson),
    [WEIGHTS_FILE]: joinWeightData(artifacts.weightData),
  };
  if (manifest !== undefined) files[MANIFEST_FILE] = `${JSON.stringify(manifest, null, 2)}\n`;
  return files;
}

/**
 * Saves `model` in tfjs's Layers format (`model.json` + `weights.bin`, loadable by
 * `tf.loadLayersModel`) plus `manifest.json` when a manifest is given, atomically (temp folder, then
 * rename). Needs no tfjs-node.
 *
 * @example
 * await saveModel(model, 'runs/digits/model', { backend: 'wasm', history });
 * // runs/digits/model/{model.json, weights.bin, manifest.json}
 */
export async function saveModel(model: tf.LayersModel, dir: string, manifest?: unknown): Promise<void> {
  await writeFolderAtomic(dir, await modelFiles(model, manifest));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `model.json` of a folder (or the path itself when it names the file), or why there is none. */
async function locateModelJson(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  const file = info?.isDirectory() === false ? path : join(path, MODEL_FILE);
  const fileInfo = info?.isDirectory() === false ? info : await stat(file).catch(() => null);
  if (fileInfo === null || !fileInfo.isFile()) {
    throw new ModelNotFoundError(
      path,
      `${file}: not found (expected a tfjs model folder with model.json, as cnnx train writes one)`,
    );
  }
  return file;
}

/** Reads `model.json` and the weight shards it lists into the artifacts tfjs loads, checking each step. */
async function readModelArtifacts(file: string): Promise<tf.io.ModelArtifacts> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code ? `cannot be read (${code})` : `not valid JSON (${(error as Error).message})`;
    throw new ModelFormatError(file, reason, { cause: error });
  }
  if (!isRecord(json) || !isRecord(json.modelTopology)) {
    throw new ModelFormatError(file, "expected an object with 'modelTopology' (a tfjs Layers model)");
  }
  const problem = weightsManifestProblem(json.weightsManifest);
  if (problem !== undefined) throw new ModelFormatError(file, problem);
  const groups = json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  const folder = dirname(file);
  const shards: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of groups) {
    for (const name of group.paths) {
      const shard = await resolveInsideFolder(folder, String(name), file);
      try {
        shards.push(await readFile(shard));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason =
          code === 'ENOENT' ? 'weight shard listed in model.json is missing' : `cannot be read (${code})`;
        throw new ModelFormatError(shard, reason, { cause: error });
      }
    }
    specs.push(...group.weights);
  }
  const total = shards.reduce((sum, shard) => sum + shard.byteLength, 0);
  const expected = weightsByteLength(groups);
  if (total !== expected) {
    throw new ModelFormatError(
      join(folder, String(groups[0]?.paths[0] ?? WEIGHTS_FILE)),
      `weight shards hold ${total} bytes but model.json describes ${expected}`,
    );
  }
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const shard of shards) {
    weightData.set(shard, offset);
    offset += shard.byteLength;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: typeof json.format === 'string' ? json.format : undefined,
    generatedBy: typeof json.generatedBy === 'string' ? json.generatedBy : undefined,
    convertedBy: typeof json.convertedBy === 'string' ? json.convertedBy : null,
    trainingConfig: json.trainingConfig as tf.io.ModelArtifacts['trainingConfig'],
    weightSpecs: specs,
    weightData: weightData.buffer,
  };
}

/**
 * Loads a saved tfjs Layers model: a folder holding `model.json` and the weight shards it lists (as
 * {@link saveModel}, tfjs's own `model.save` or the tfjs converter write them), or the `model.json` itself.
 * The one way cnnx reads a model from disk (training, evaluation, prediction, export), with node:fs and no
 * tfjs-node. A missing model is a {@link ModelNotFoundError}; a corrupt `model.json`, a missing or short
 * shard or a topology tfjs cannot build is a `ModelFormatError` naming the file.
 *
 * @example
 * const model = await loadModel('runs/digits/model');
 * model.countParams(); // 421642
 */
export async function loadModel(path: string): Promise<tf.LayersModel> {
  const file = await locateModelJson(path);
  const artifacts = await readModelArtifacts(file);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ModelFormatError(file, `not a loadable tfjs Layers model (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * Reads the `manifest.json` next to a saved model, or `null` when there is none.
 *
 * @example
 * const manifest = await readManifest('runs/digits/model'); // { backend: 'wasm', … }
 */
export async function readManifest(dir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** What a model folder's `manifest.json` says about labelling and exporting the model. */
export interface ModelManifestInfo {
  classNames?: string[];
  runId?: string;
  inputScale?: string;
}

/**
 * The class names, run id and input scale a model folder's `manifest.json` records (each only when it does;
 * `{}` for a folder without one, as plain tfjs folders are). A manifest that is not JSON is a
 * `ModelFormatError`.
 *
 * @example
 * await readModelManifest('runs/quickstart/model'); // → { classNames: ['0', …, '9'], runId: '3f1c…' }
 */
export async function readModelManifest(dir: string): Promise<ModelManifestInfo> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(file, 'not valid JSON', { cause: error });
  }
  if (!isRecord(manifest)) return {};
  const { classNames, runId, inputScale } = manifest;
  return {
    ...(Array.isArray(classNames) ? { classNames: classNames.map(String) } : {}),
    ...(typeof runId === 'string' ? { runId } : {}),
    ...(typeof inputScale === 'string' ? { inputScale } : {}),
  };
}
