import type * as tf from '@tensorflow/tfjs';
import type { KerasFileFormat } from './detect.js';

/** Options of {@link readKerasModel}. */
export interface ReadKerasModelOptions {
  /**
   * How raw 0-255 pixels become the model's input, which a Keras file does not record: `unit` (÷255, the
   * default), `none` (raw pixels) or `standard:MEAN:STD` (on the ÷255 values). Returned as given, for the
   * export step to write into the ONNX metadata. Left out, it is `none` for a model that starts with
   * `Rescaling(1/255)` (it scales the pixels itself) and `unit` otherwise.
   */
  inputScale?: string;
}

/** One of Keras's layers after reading: what `model.summary()` prints for it. */
export interface KerasLayerSummary {
  name: string;
  className: string;
  /** The layer's output shape, batch axis first (`null` = any size). */
  outputShape: (number | null)[];
  /** Trainable and non-trainable values, as Keras counts them. */
  parameters: number;
  trainableParameters: number;
}

/** A Keras file read into the TensorFlow.js Layers model cnnx uses everywhere. */
export interface KerasModel {
  model: tf.LayersModel;
  file: string;
  /** `hdf5` (legacy `.h5`, Keras 2 or 3) or `keras-zip` (Keras 3 `.keras`). */
  format: KerasFileFormat;
  /** The Keras version that saved the file, when it says. */
  kerasVersion: string | null;
  /** The backend that saved it (`tensorflow`, `jax`, `torch`), when the file says (legacy HDF5 does). */
  backend: string | null;
  /** How raw pixels are scaled for this model: `unit`, `none` or `standard:MEAN:STD`. */
  inputScale: string;
  /** The model's input shape as the file declares it, batch axis first. */
  kerasInputShape: (number | null)[] | null;
  /** Keras's own layers, in the file's order, with their parameter counts. */
  layers: KerasLayerSummary[];
  /** Layers the reader added so that the model takes H×W×1 images and outputs probabilities. */
  addedLayers: string[];
  /** What the reader changed or dropped on the way, one sentence each. */
  notes: string[];
}
