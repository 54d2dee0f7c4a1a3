/**
 * `@cnnx/runtime/server` (Node only): an Open Inference Protocol v2 server for a loaded Classifier, with
 * dynamic batching, Triton's binary tensor and classification extensions, image uploads and metrics.
 */
export { type BatcherOptions, type BatchResult, DynamicBatcher, type RunBatch } from './batcher.js';
export { HttpError } from './errors.js';
export { createMetrics, type ServerMetrics } from './metrics.js';
export {
  classificationStrings,
  describeModel,
  type EncodedResponse,
  encodeBytesTensor,
  encodeInferResponse,
  type InferRequest,
  type ModelSignature,
  parseInferRequest,
  type RequestedOutput,
  type TensorSignature,
  validateInferRequest,
} from './protocol.js';
export { type CnnxServer, createServer } from './server.js';
export type { BatchStats, ServedModel, ServedTensor, ServedTensorInfo, ServerOptions } from './types.js';
