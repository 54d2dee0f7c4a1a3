import { UnsupportedLayerError } from '@cnnx/data';
import type * as tf from '@tensorflow/tfjs';
import { BACKEND_LADDER } from '../backend.js';
import type { BackendName } from '../types.js';
import { tfjsEngine } from './tfjs-engine.js';
import type { EngineSettings, TrainingEngine } from './types.js';

const engines = new Map<string, TrainingEngine>(BACKEND_LADDER.map((name) => [name, tfjsEngine(name)]));

/**
 * Adds a training engine (`@cnnx/runtime/training` registers `onnxruntime` when it is imported). A name
 * registered twice throws.
 *
 * @example
 * registerTrainingEngine(onnxruntimeTrainingEngine);
 * trainingEngineNames(); // ['tensorflow', 'wasm', 'cpu', 'onnxruntime']
 */
export function registerTrainingEngine(engine: TrainingEngine): void {
  if (engines.has(engine.name))
    throw new Error(`a training engine named '${engine.name}' is already registered`);
  engines.set(engine.name, engine);
}

/**
 * The names of the registered training engines.
 *
 * @example
 * trainingEngineNames(); // ['tensorflow', 'wasm', 'cpu']
 */
export function trainingEngineNames(): string[] {
  return [...engines.keys()];
}

/**
 * The registered engines `auto` tries before the tfjs backends (onnxruntime, once `@cnnx/runtime/training` is
 * imported), in the order they were registered.
 *
 * @example
 * preferredTrainingEngines().map((engine) => engine.name); // ['onnxruntime']
 */
export function preferredTrainingEngines(): TrainingEngine[] {
  return [...engines.values()].filter((engine) => engine.preferred);
}

/** The engine a run trains on, and the ones `auto` passed over with why. */
export interface ResolvedEngine {
  engine: TrainingEngine;
  skipped: { name: string; reason: string }[];
}

/**
 * The engine that trains `model`: a named one (which must cover the model, else `UnsupportedLayerError`
 * names the layer), or with `auto` the first
 * preferred engine that covers it (onnxruntime, when registered), else the tfjs backend `initBackend` chose
 * (`tfjsBackend`). Each engine `auto` passes over is listed with its reason (the layer that stops it).
 *
 * @example
 * resolveTrainingEngine('auto', model, settings, 'wasm');
 * // { engine: onnxruntime, skipped: [] } — or, for a model with an LSTM:
 * // { engine: wasm, skipped: [{ name: 'onnxruntime', reason: "layer 'lstm_1' (LSTM): layer class 'LSTM' has no trainer" }] }
 */
export function resolveTrainingEngine(
  preferred: string,
  model: tf.LayersModel,
  settings: EngineSettings,
  tfjsBackend: BackendName,
): ResolvedEngine {
  if (preferred !== 'auto') {
    const engine = engines.get(preferred);
    if (engine === undefined) {
      throw new RangeError(
        `no training engine named '${preferred}' is registered; registered: ${trainingEngineNames().join(', ')}`,
      );
    }
    const refusal = engine.covers(model, settings);
    if (refusal) {
      throw new UnsupportedLayerError({
        className: refusal.className,
        name: refusal.layer,
        refusedBy: `the ${engine.name} training engine`,
        supported: refusal.supported,
        detail: refusal.reason,
      });
    }
    return { engine, skipped: [] };
  }
  const skipped: ResolvedEngine['skipped'] = [];
  for (const engine of preferredTrainingEngines()) {
    const refusal = engine.covers(model, settings);
    if (refusal === null) return { engine, skipped };
    skipped.push({
      name: engine.name,
      reason: `layer '${refusal.layer}' (${refusal.className}): ${refusal.reason}`,
    });
  }
  return { engine: engines.get(tfjsBackend)!, skipped };
}
