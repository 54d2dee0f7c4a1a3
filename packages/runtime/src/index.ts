/**
 * `@cnnx/runtime` for Node: one Classifier API on onnxruntime-node (CPU, and CUDA when its provider is
 * installed). Images given as file paths or Buffers are prepared by `@cnnx/data`'s `prepareDigit`.
 */
import { registerNodeBackends } from './node/register.js';

registerNodeBackends();

export { type Backend, type BackendSession, registerBackend, registeredDevices } from './core/backend.js';
export {
  type MeasuredStep,
  type MeasureOptions,
  measureLatencies,
  measureThroughput,
  summariseLatencies,
  type ThroughputSummary,
} from './core/measure.js';
export { formatInputScale, parseInputScale } from './core/model-metadata.js';
export { type OnnxModelSummary, readOnnxSummary } from './core/onnx-model.js';
export { DeviceUnavailableError, OnnxFormatError } from './errors.js';
export { cudaInstallHint, cudaUnavailableReason } from './node/backends.js';
export { Classifier, type NodeImageInput } from './node/classifier.js';
export { TrainingSession } from './training/node.js';
export type * from './training/types.js';
export type * from './types.js';

export const version = '0.1.0';
