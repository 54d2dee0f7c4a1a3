export { type CalibrationMethod, measureRanges } from './calibrate.js';
export { loadCalibrationImages } from './calibration-images.js';
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
export { exportToOnnx } from './export-to-onnx.js';
export { GraphBuilder, irVersionForOpset, serializeModel } from './graph/graph-builder.js';
export { readOnnx } from './read-onnx.js';
export * from './training/index.js';
export type * from './types.js';
export {
  assertVerified,
  type VerificationInputs,
  type VerificationResult,
  verifyExport,
  verifyOnnx,
} from './verify.js';

export const version = '0.1.0';
export {
  checkTritonName,
  isTritonName,
  TRITON_NAME_RULE,
  type TritonOptions,
  tritonConfig,
} from './triton.js';
export { type TritonEntryOptions, writeTritonModel } from './triton-repository.js';
