/**
 * A layer the exporter or the training-graph builder has no converter for (or the Keras reader cannot read):
 * one class, defined in `@cnnx/data` and raised by `@cnnx/train`'s Keras reader too, so that callers catch one
 * type. Nothing is written when it is raised.
 */
/** A saved model that cannot be read (defined in `@cnnx/data`, where every package reaches it). */
export { ModelFormatError, UnsupportedLayerError } from '@cnnx/data/browser';

/**
 * The exported ONNX disagrees with tfjs beyond the tolerance: the exporter refuses to write it.
 *
 * @example
 * // VerificationError: ONNX output differs from tfjs by 0.02 (tolerance 0.0001)
 */
export class VerificationError extends Error {
  readonly maxAbsDiff: number;
  readonly tolerance: number;
  constructor(message: string, maxAbsDiff: number, tolerance: number) {
    super(message);
    this.name = 'VerificationError';
    this.maxAbsDiff = maxAbsDiff;
    this.tolerance = tolerance;
  }
}

/**
 * A weight of the model is NaN or infinite (training that diverged leaves such weights): no exported file
 * could give numbers, so nothing is written.
 *
 * @example
 * // NonFiniteWeightError: layer 'dense_Dense1' weight 'dense_Dense1/kernel' holds NaN at index 12: …
 */
export class NonFiniteWeightError extends Error {
  readonly layer: string;
  readonly weight: string;
  readonly index: number;
  constructor(layer: string, weight: string, index: number, value: number) {
    super(
      `layer '${layer}' weight '${weight}' holds ${value} at index ${index}: a model whose weights are not finite numbers cannot be exported (did its training diverge?)`,
    );
    this.name = 'NonFiniteWeightError';
    this.layer = layer;
    this.weight = weight;
    this.index = index;
  }
}

/**
 * Bytes that do not decode as an ONNX ModelProto with a graph. A RangeError, as it always was, so code that
 * caught RangeError keeps working; `reason` says what the decoder met.
 *
 * @example
 * try { readOnnx(bytes); } catch (error) { if (error instanceof OnnxDecodeError) console.log(error.reason); }
 * // "invalid wire type 7 at offset 3"
 */
export class OnnxDecodeError extends RangeError {
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    super(`not an ONNX model: ${reason}`, options);
    this.name = 'OnnxDecodeError';
    this.reason = reason;
  }
}
