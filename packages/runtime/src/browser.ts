/**
 * `@cnnx/runtime` for browsers: one Classifier API on onnxruntime-web (WebGPU, else wasm). Nothing
 * reachable from here imports a Node module; a test bundles this entry and checks.
 */
import { registerBackend } from './core/backend.js';
import { wasmBackend, webgpuBackend } from './web/backends.js';

registerBackend('wasm', wasmBackend, 10);
registerBackend('webgpu', webgpuBackend, 100);

export { formatInputScale, parseInputScale } from '@cnnx/data/browser';
export { type Backend, type BackendSession, registerBackend, registeredDevices } from './core/backend.js';
export { type OnnxModelSummary, readOnnxSummary } from './core/onnx-model.js';
export { rankClasses } from './core/rank.js';
export { DeviceUnavailableError, OnnxFormatError } from './errors.js';
export type * from './training/types.js';
export { type BrowserTrainingSessionOptions, TrainingSession } from './training/web.js';
export type * from './types.js';
export { type BrowserClassifierOptions, type BrowserModelSource, Classifier } from './web/classifier.js';
export { type BrowserEnvironment, browserEnvironment } from './web/environment.js';

export const version = '0.1.0';
