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
 * A layer of a Keras file that the reader cannot turn into a TensorFlow.js layer (a class it does not know, or
 * an option TensorFlow.js cannot honour): `@cnnx/data`'s one `UnsupportedLayerError`, which the exporter raises
 * too. Its `layer` is the layer's name in the file, `className` its Keras class, `supported` the classes the
 * reader knows.
 */
export { UnsupportedLayerError } from '@cnnx/data';
