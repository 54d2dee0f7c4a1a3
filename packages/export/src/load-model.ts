// Node only: reads a saved tfjs Layers model (model.json + weight shards) with node:fs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveInsideFolder, weightsByteLength, weightsManifestProblem } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import { ModelFormatError } from './errors.js';

interface WeightsManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads model.json and its weight shards into a tfjs ModelArtifacts (no tfjs-node needed).
 *
 * @example
 * const artifacts = await readModelArtifacts('runs/quickstart/model');
 * artifacts.weightData.byteLength; // 1686568
 */
export async function readModelArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError("'dir' must be a model folder path");
  const modelPath = join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(modelPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelFormatError(
      modelPath,
      code === 'ENOENT'
        ? 'not found (expected a tfjs model folder with model.json)'
        : `cannot be read (${code})`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(modelPath, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!isRecord(json) || !isRecord(json.modelTopology)) {
    throw new ModelFormatError(modelPath, "expected an object with 'modelTopology' (a tfjs Layers model)");
  }
  const problem = weightsManifestProblem(json.weightsManifest);
  if (problem !== undefined) throw new ModelFormatError(modelPath, problem);
  const groups = json.weightsManifest as WeightsManifestGroup[];
  const buffers: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of groups) {
    for (const path of group.paths) {
      const shardPath = await resolveInsideFolder(dir, String(path), modelPath);
      try {
        buffers.push(await readFile(shardPath));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ModelFormatError(
          shardPath,
          code === 'ENOENT' ? 'weight shard listed in model.json is missing' : `cannot be read (${code})`,
          { cause: error },
        );
      }
    }
    specs.push(...group.weights);
  }
  const total = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  const expected = weightsByteLength(groups);
  if (total !== expected) {
    throw new ModelFormatError(
      join(dir, String(groups[0]?.paths[0] ?? 'weights.bin')),
      `weight shards hold ${total} bytes but model.json describes ${expected}`,
    );
  }
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const buffer of buffers) {
    weightData.set(buffer, offset);
    offset += buffer.byteLength;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: typeof json.format === 'string' ? json.format : undefined,
    generatedBy: typeof json.generatedBy === 'string' ? json.generatedBy : undefined,
    convertedBy: typeof json.convertedBy === 'string' ? json.convertedBy : null,
    trainingConfig: json.trainingConfig as tf.io.ModelArtifacts['trainingConfig'],
    userDefinedMetadata: isRecord(json.userDefinedMetadata)
      ? (json.userDefinedMetadata as Record<string, never>)
      : undefined,
    weightSpecs: specs,
    weightData: weightData.buffer,
  };
}

/**
 * Loads a saved tfjs Layers model from a folder through a custom `tf.io` IOHandler that reads with node:fs
 * (tfjs's `file://` handler needs tfjs-node, which is optional).
 *
 * @example
 * const model = await loadLayersModelFromDir('runs/quickstart/model');
 * model.outputs[0].shape; // [null, 10]
 */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifacts(dir);
  try {
    return await tf.loadLayersModel({ load: async () => artifacts });
  } catch (error) {
    throw new ModelFormatError(
      join(dir, 'model.json'),
      `not a loadable tfjs Layers model (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
}
