/** A finished run's manifest: what trained on what, where, how long, and how it went (DIR/run.json). */
import { createRequire } from 'node:module';
import { version as dataVersion } from '@cnnx/data';
import type { KerasModel } from '../keras/types.js';
import type { BackendInfo, EpochLogs, TrainResult } from '../types.js';
import { version as trainVersion } from '../version.js';
import type { RunConfig } from './run-config.js';
import type { RunData } from './run-data.js';

/** What `run.json` and the model folder's `manifest.json` hold. */
export interface RunManifest {
  format: 'cnnx-run/1';
  createdAt: string;
  /** The run's id, which the ONNX export carries as `cnnx.run_id`. */
  runId: string;
  config: RunConfig;
  /** The class names in output order (what `cnnx export` and `cnnx predict` label classes with). */
  classNames: string[];
  /** How the 0-255 bytes became the model's input (what `cnnx export` writes as `cnnx.input_scale`). */
  inputScale: string;
  /** The Keras file the run fine-tuned, as its reader saw it (absent for a preset or a spec). */
  keras?: { file: string; format: KerasModel['format']; kerasVersion: string | null; backend: string | null };
  dataset: {
    spec: string;
    shape: [number, number, number];
    classNames: string[];
    trainCount: number;
    validationCount: number;
    files: RunData['files'];
  };
  backend: Pick<BackendInfo, 'name' | 'skipped' | 'device' | 'threads'>;
  versions: Record<string, string>;
  model: { name: string; parameters: number };
  stopReason: TrainResult['stopReason'];
  bestEpoch: number | null;
  timings: { dataSeconds: number; trainSeconds: number; totalSeconds: number };
  history: EpochLogs[];
}

/**
 * The versions a run used: Node, cnnx's packages and TensorFlow.js's.
 *
 * @example
 * runVersions(); // → { node: '20.20.2', '@cnnx/train': '0.1.0', '@tensorflow/tfjs': '4.22.0', … }
 */
export function runVersions(): Record<string, string> {
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

/**
 * The manifest of a finished run.
 *
 * @example
 * const manifest = runManifest({ runId, config, data, backend, model: { name: 'classic', parameters: 421642 },
 *   training, timings: { dataSeconds: 0.4, trainSeconds: 56, totalSeconds: 57 } });
 */
export function runManifest(run: {
  runId: string;
  config: RunConfig;
  data: RunData;
  backend: BackendInfo;
  model: { name: string; parameters: number };
  keras?: KerasModel;
  training: TrainResult;
  timings: RunManifest['timings'];
}): RunManifest {
  const { config, data, backend, training, keras } = run;
  const [height = 0, width = 0, channels = 1] = data.train.shape;
  return {
    format: 'cnnx-run/1',
    createdAt: new Date().toISOString(),
    runId: run.runId,
    config,
    classNames: data.train.classNames,
    inputScale: config.inputScale ?? 'unit',
    ...(keras
      ? {
          keras: {
            file: keras.file,
            format: keras.format,
            kerasVersion: keras.kerasVersion,
            backend: keras.backend,
          },
        }
      : {}),
    dataset: {
      spec: config.dataset,
      shape: [height, width, channels],
      classNames: data.train.classNames,
      trainCount: data.train.count,
      validationCount: data.validation?.count ?? 0,
      files: data.files,
    },
    backend: {
      name: backend.name,
      skipped: backend.skipped,
      ...(backend.device === undefined ? {} : { device: backend.device }),
      ...(backend.threads === undefined ? {} : { threads: backend.threads }),
    },
    versions: runVersions(),
    model: run.model,
    stopReason: training.stopReason,
    bestEpoch: training.bestEpoch,
    timings: run.timings,
    history: training.history,
  };
}
