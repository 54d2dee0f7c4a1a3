/**
 * `@cnnx/runtime` for Node: one Classifier API on onnxruntime-node (CPU, and CUDA when its provider is
 * installed). Images given as file paths or Buffers are prepared by `@cnnx/data`'s `prepareDigit`.
 */
import { registerNodeBackends } from './node/register.js';

registerNodeBackends();

export { formatInputScale, parseInputScale } from '@cnnx/data/browser';
export { type Backend, type BackendSession, registerBackend, registeredDevices } from './core/backend.js';
export {
  type MeasuredStep,
  type MeasureOptions,
  measureLatencies,
  measureThroughput,
  randomFeeds,
  summariseLatencies,
  type ThroughputSummary,
} from './core/measure.js';
export { type OnnxModelSummary, readOnnxSummary } from './core/onnx-model.js';
export { rankClasses } from './core/rank.js';
export { DeviceUnavailableError, OnnxFormatError } from './errors.js';
export {
  assertCudaAvailable,
  bindingFolder,
  cudaInstallHint,
  cudaUnavailableReason,
  missingProviderLibraries,
} from './node/backends.js';
export { Classifier } from './node/classifier.js';
export {
  CUDA_DOWNLOAD_HOST,
  CudaSetupError,
  type CudaSetupOptions,
  type CudaSetupResult,
  setUpCuda,
} from './node/cuda-setup.js';
export {
  type DescribeProvidersOptions,
  describeExecutionProviders,
  describeMachine,
  EXECUTION_PROVIDERS,
  onnxruntimeVersions,
} from './node/environment.js';
export {
  type NodeImageInput,
  type PreparedImage,
  type PrepareImageOptions,
  prepareImage,
} from './node/prepare-image.js';
export { nchwcBlockSize, TrainingSession } from './training/node.js';
export type * from './training/types.js';
export type * from './types.js';

export const version = '0.1.0';
