// Node entry: the browser entry (the pure exporter) and what needs Node: calibration, the export of a model
// folder, verification with onnxruntime-node and the Triton repository writer.
export * from './browser.js';
export { type CalibrationMethod, measureRanges } from './calibrate.js';
export { loadCalibrationImages } from './calibration-images.js';
export { exportToOnnx } from './export-to-onnx.js';
export { type TritonEntryOptions, writeTritonModel } from './triton-repository.js';
export {
  assertVerified,
  type VerificationInputs,
  type VerificationResult,
  verifyExport,
  verifyOnnx,
} from './verify.js';
