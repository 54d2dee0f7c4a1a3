/**
 * A layer the exporter has no converter for (or the Keras reader cannot read): one class, defined in
 * `@cnnx/data` and raised by `@cnnx/train`'s Keras reader too, so that callers catch one type. Nothing is
 * written when it is raised.
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
