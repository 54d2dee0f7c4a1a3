/**
 * A tfjs layer class the exporter has no converter for. Nothing is written when it is raised.
 *
 * @example
 * try { await exportToOnnx(model); } catch (error) {
 *   if (error instanceof UnsupportedLayerError) console.log(error.layer); // "LSTM"
 * }
 */
export class UnsupportedLayerError extends Error {
  readonly layer: string;
  readonly supported: readonly string[];
  constructor(layer: string, supported: readonly string[], detail?: string) {
    super(
      `layer class '${layer}' is not supported by the ONNX exporter${detail ? ` (${detail})` : ''}; supported: ${supported.join(', ')}`,
    );
    this.name = 'UnsupportedLayerError';
    this.layer = layer;
    this.supported = supported;
  }
}

/** A saved model that cannot be read (defined in `@cnnx/data`, where every package reaches it). */
export { ModelFormatError } from '@cnnx/data/browser';

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
