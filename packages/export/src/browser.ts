// Browser entry: the pure exporter (graph builder, converters, static protobuf code, ONNX reader, Triton
// config). Nothing reachable from here imports node:*, onnxruntime-node or tfjs-node.
export { buildGraph, convertToOnnx, EXPORTER_VERSION, SUPPORTED_OPSETS } from './convert.js';
export { converterConfigs, createDefaultRegistry } from './converters/index.js';
export { ConverterRegistry } from './converters/registry.js';
export type { ConversionContext, ConverterConfig, LayerConverter, ValueRef } from './converters/types.js';
export {
  ModelFormatError,
  NonFiniteWeightError,
  OnnxDecodeError,
  UnsupportedLayerError,
  VerificationError,
} from './errors.js';
export { GraphBuilder, irVersionForOpset, serializeModel } from './graph/graph-builder.js';
export { readOnnx } from './read-onnx.js';
export * from './training/index.js';
export {
  checkTritonName,
  isTritonName,
  TRITON_NAME_RULE,
  type TritonOptions,
  tritonConfig,
} from './triton.js';
export type * from './types.js';

export const version = '0.1.0';
