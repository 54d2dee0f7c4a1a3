import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { resolveInsideFolder, weightsByteLength, weightsManifestProblem } from '@cnnx/data';
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
 * Writes a folder atomically: everything goes to `DIR.tmp-*` first and is renamed into place, so a
 * crash leaves either the old folder or the new one, never a half-written one.
 *
 * @example
 * await writeFolderAtomic('runs/a/model', { 'model.json': '{…}', 'weights.bin': bytes });
 */
export async function writeFolderAtomic(
  dir: string,
  files: Record<string, string | Uint8Array>,
): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporary = `${dir}.tmp-${suffix}`;
  const previous = `${dir}.old-${suffix}`;
  try {
    await mkdir(temporary);
    for (const [name, content] of Object.entries(files)) await writeFile(join(temporary, name), content);
    let replaced = false;
    try {
      await rename(dir, previous);
      replaced = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await rename(temporary, dir);
    if (replaced) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
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

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Finds `model.json` for a folder (or a path to the file itself), or explains what was looked for. */
async function locateModelJson(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  if (info === null) throw new ModelNotFoundError(path, `no model at ${path}: the path does not exist`);
  const file = info.isDirectory() ? join(path, MODEL_FILE) : path;
  const fileInfo = await stat(file).catch(() => null);
  if (fileInfo === null || !fileInfo.isFile()) {
    throw new ModelNotFoundError(
      path,
      `no model in ${path}: looked for ${file} (a tfjs Layers model.json, as written by cnnx train)`,
    );
  }
  return file;
}

/**
 * Loads a tfjs Layers model saved by {@link saveModel} (or by Keras/tfjs in the same format) from a
 * folder or its `model.json`, with node:fs, no tfjs-node needed.
 *
 * @example
 * const model = await loadModel('runs/digits/model');
 * model.countParams(); // 421642
 */
export async function loadModel(path: string): Promise<tf.LayersModel> {
  const file = await locateModelJson(path);
  let parsed: ModelJson;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as ModelJson;
  } catch (error) {
    throw new ModelNotFoundError(path, `${file} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !parsed.modelTopology ||
    !Array.isArray(parsed.weightsManifest)
  ) {
    throw new ModelNotFoundError(
      path,
      `${file} is not a tfjs Layers model (no "modelTopology"/"weightsManifest")`,
    );
  }
  const problem = weightsManifestProblem(parsed.weightsManifest);
  if (problem !== undefined) throw new ModelNotFoundError(path, `${file}: ${problem}`);
  const folder = dirname(file);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of parsed.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const name of group.paths) {
      const weightsPath = await resolveInsideFolder(folder, name, file);
      const bytes = await readFile(weightsPath).catch((error: NodeJS.ErrnoException) => {
        throw new ModelNotFoundError(
          path,
          `cannot read the weights ${weightsPath} named in ${file}: ${error.code}`,
          {
            cause: error,
          },
        );
      });
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  const total = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  const expected = weightsByteLength(parsed.weightsManifest);
  if (total !== expected) {
    throw new ModelNotFoundError(
      path,
      `${file}: its weight files hold ${total} bytes but it describes ${expected}`,
    );
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: parsed.modelTopology,
    format: parsed.format,
    generatedBy: parsed.generatedBy,
    convertedBy: parsed.convertedBy ?? null,
    weightSpecs,
    weightData: tf.io.concatenateArrayBuffers(buffers),
  };
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ModelNotFoundError(path, `${file} could not be loaded: ${(error as Error).message}`, {
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
