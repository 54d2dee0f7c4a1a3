/**
 * Property-based fuzzing of the one reader of tfjs model folders (@cnnx/train's loadModel, which
 * `cnnx export` and exportToOnnx(dir) read through too) with fast-check: a saved model whose model.json has random
 * values put at random places (the manifest's paths, shapes and dtypes, the topology) and whose weights file
 * is cut, grown or edited. It gives a model or one of cnnx's errors (ModelNotFoundError,
 * ModelFormatError, PathOutsideFolderError), never another exception, with resident memory under 1 GiB.
 * A fixed seed and a time budget (CNNX_FUZZ_SEED, CNNX_FUZZ_MS).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelFormatError, PathOutsideFolderError } from '@cnnx/data';
import { assertFuzz, mutatedBytes, resultOrAllowed } from '@cnnx/testing';
import { initBackend, loadModel, ModelNotFoundError, saveModel } from '@cnnx/train';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';

let root = '';
let modelJson: unknown;
let weights: Uint8Array;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'cnnx-fuzz-model-'));
  await initBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  await saveModel(model, join(root, 'good'));
  model.dispose();
  modelJson = JSON.parse(await readFile(join(root, 'good', 'model.json'), 'utf8'));
  weights = await readFile(join(root, 'good', 'weights.bin'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every path into a JSON value (objects and arrays), the value's own first. */
function pathsOf(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      pathsOf(item, [...prefix, Array.isArray(value) ? Number(key) : key], out);
    }
  }
  return out;
}

/** `value` with the thing at `path` replaced by `replacement` (a deep copy). */
function replaced(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = replacement;
  return copy;
}

const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(
    '../../secret.bin',
    '/etc/passwd',
    'weights.bin\u0000x',
    [1e9, 1e9],
    [-1, 3],
    [3.5],
    'float64',
    'string',
    [],
    {},
    null,
  ),
);

describe('fuzz: model folders', () => {
  it('loadModel gives a model or a cnnx error', async () => {
    const paths = pathsOf(modelJson);
    const folder = join(root, 'fuzzed');
    const allowed = [ModelNotFoundError, ModelFormatError, PathOutsideFolderError];
    const changes = fc.array(fc.tuple(fc.nat({ max: paths.length - 1 }), oddValue), {
      minLength: 1,
      maxLength: 3,
    });
    await assertFuzz(
      fc.asyncProperty(
        changes,
        mutatedBytes([weights], 2),
        fc.boolean(),
        async (edits, bytes, keepWeights) => {
          let json = modelJson;
          for (const [index, value] of edits) {
            const path = paths[index]!;
            try {
              json = replaced(json, path, value);
            } catch {
              // an earlier edit removed this path
            }
          }
          await rm(folder, { recursive: true, force: true });
          await saveFiles(folder, JSON.stringify(json), keepWeights ? weights : bytes);
          const loaded = await resultOrAllowed(() => loadModel(folder), allowed);
          loaded?.dispose();
          assert.ok(tf.memory().numTensors < 10_000, 'no tensors leak');
        },
      ),
    );
  });
});

async function saveFiles(folder: string, json: string, bytes: Uint8Array): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'model.json'), json);
  await writeFile(join(folder, 'weights.bin'), bytes);
}
