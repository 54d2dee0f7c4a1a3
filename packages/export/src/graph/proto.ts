// The ONNX messages, compiled ahead of time from proto/onnx.proto (see scripts/generate-proto.mjs).
export { onnx } from '../generated/onnx.gen.js';
