/**
 * A Keras file that cannot be read: not HDF5 nor a Keras zip, truncated, holding no model config, missing
 * weights, a weight whose shape does not fit its layer, or an HDF5 link that points outside the file.
 * Nothing is written when it is raised.
 *
 * @example
 * try { await readKerasModel('mnist.h5'); } catch (error) {
 *   if (error instanceof KerasFormatError) console.log(error.reason);
 *   // "layer 'dense_1' (Dense): weight 0 has shape [576, 64] in the file, the layer needs [1764, 64]"
 * }
 */
export class KerasFormatError extends Error {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`${file}: ${reason}`, options);
    this.name = 'KerasFormatError';
    this.file = file;
    this.reason = reason;
  }
}

/**
 * A layer of a Keras file that the reader cannot turn into a TensorFlow.js layer: a class it does not know
 * (LSTM, a Lambda or a custom layer), or an option of a known class that TensorFlow.js cannot honour
 * (`groups` on Conv2D, say). Lists the layer classes the reader supports.
 *
 * @example
 * // UnsupportedLayerError: model.keras: layer 'lstm' (LSTM) is not supported by the Keras reader;
 * //   supported: Activation, Add, AlphaDropout, AveragePooling2D, BatchNormalization, …
 */
export class UnsupportedLayerError extends Error {
  readonly file: string;
  readonly reason: string;
  /** The layer's name in the file. */
  readonly layer: string;
  /** The layer's Keras class. */
  readonly className: string;
  readonly supported: readonly string[];
  constructor(file: string, layer: string, className: string, supported: readonly string[], detail?: string) {
    const reason =
      `layer '${layer}' (${className}) is not supported by the Keras reader` +
      `${detail ? ` (${detail})` : ''}; supported: ${supported.join(', ')}`;
    super(`${file}: ${reason}`);
    this.name = 'UnsupportedLayerError';
    this.file = file;
    this.reason = reason;
    this.layer = layer;
    this.className = className;
    this.supported = supported;
  }
}
