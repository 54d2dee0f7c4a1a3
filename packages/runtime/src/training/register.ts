/**
 * `@cnnx/runtime/training`: importing it registers the onnxruntime training engine with `@cnnx/train`, so
 * `trainRun` (and `cnnx train --backend auto|onnxruntime`) can train on it. Node only; it does not load the server.
 *
 * @example
 * import '@cnnx/runtime/training';
 * trainingEngineNames(); // ['tensorflow', 'wasm', 'cpu', 'onnxruntime']
 */
import { registerTrainingEngine, trainingEngineNames } from '@cnnx/train';
import { onnxruntimeTrainingEngine } from './engine.js';

if (!trainingEngineNames().includes(onnxruntimeTrainingEngine.name))
  registerTrainingEngine(onnxruntimeTrainingEngine);

export { nchwcBlockSize, TrainingSession } from './node.js';
export { onnxruntimeTrainingEngine };
