export { type CalibrationMethod, measureRanges } from './calibrate.js';
export { buildGraph, convertToOnnx, EXPORTER_VERSION, SUPPORTED_OPSETS } from './convert.js';
export { converterConfigs, createDefaultRegistry } from './converters/index.js';
export { ConverterRegistry } from './converters/registry.js';
export type { ConversionContext, ConverterConfig, LayerConverter, ValueRef } from './converters/types.js';
export { ModelFormatError, UnsupportedLayerError, VerificationError } from './errors.js';
export { exportToOnnx } from './export-to-onnx.js';
export { GraphBuilder, irVersionForOpset, serializeModel } from './graph/graph-builder.js';
export { loadLayersModelFromDir, readModelArtifacts } from './load-model.js';
export { readOnnx } from './read-onnx.js';
export * from './training/index.js';
export type * from './types.js';
export { assertVerified, type VerificationInputs, type VerificationResult, verifyOnnx } from './verify.js';

export const version = '0.1.0';
export { type TritonOptions, tritonConfig } from './triton.js';
