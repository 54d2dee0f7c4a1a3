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
  /** `by` names what cannot take the layer (the exporter by default, or the training-graph builder). */
  constructor(layer: string, supported: readonly string[], detail?: string, by = 'the ONNX exporter') {
    super(
      `layer class '${layer}' is not supported by ${by}${detail ? ` (${detail})` : ''}; supported: ${supported.join(', ')}`,
    );
    this.name = 'UnsupportedLayerError';
    this.layer = layer;
    this.supported = supported;
  }
}

/**
 * A saved tfjs model folder that cannot be read: a corrupt model.json, a missing or short weight shard.
 *
 * @example
 * await loadLayersModelFromDir('runs/x/model'); // ModelFormatError: runs/x/model/model.json: not valid JSON (...)
 */
export class ModelFormatError extends Error {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`${file}: ${reason}`, options);
    this.name = 'ModelFormatError';
    this.file = file;
    this.reason = reason;
  }
}

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
