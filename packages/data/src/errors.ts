/**
 * A dataset file or folder that cannot be read as what it claims to be. The message is one line naming
 * the file and the reason; `file` and `reason` are there for programs.
 *
 * @example
 * throw new DatasetFormatError('data/train-images-idx3-ubyte', 'magic number 2049, expected 2051 (images)');
 * // message: "data/train-images-idx3-ubyte: magic number 2049, expected 2051 (images)"
 */
export class DatasetFormatError extends Error {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`${file}: ${reason}`, options);
    this.name = 'DatasetFormatError';
    this.file = file;
    this.reason = reason;
  }
}

/**
 * Files a named dataset needs that are neither on disk nor downloadable (no network, every mirror failed).
 * The message lists each missing file and where to put it.
 *
 * @example
 * // DatasetNotFoundError: fashion-mnist: missing train-images-idx3-ubyte.gz, ... — put them in ~/.cache/cnnx/fashion-mnist
 */
export class DatasetNotFoundError extends Error {
  readonly dataset: string;
  readonly missing: string[];
  constructor(dataset: string, missing: string[], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatasetNotFoundError';
    this.dataset = dataset;
    this.missing = missing;
  }
}

/**
 * A download that did not produce a verified file: every mirror failed. `attempts` says why each one did.
 *
 * @example
 * // DownloadError: train-images-idx3-ubyte.gz: every mirror failed — https://a/…: HTTP 404; https://b/…: MD5 …, expected …
 */
export class DownloadError extends Error {
  readonly file: string;
  readonly attempts: { url: string; reason: string }[];
  constructor(file: string, attempts: { url: string; reason: string }[], options?: ErrorOptions) {
    super(
      `${file}: every mirror failed — ${attempts.map((attempt) => `${attempt.url}: ${attempt.reason}`).join('; ')}`,
      options,
    );
    this.name = 'DownloadError';
    this.file = file;
    this.attempts = attempts;
  }
}

/**
 * A saved model that cannot be read as what it claims to be: a corrupt `model.json`, a missing or short
 * weight shard. The message is one line naming the file and the reason; `file` and `reason` are there for
 * programs. Here because every package reads or writes models (`@cnnx/train` and `@cnnx/export` re-export it).
 *
 * @example
 * await loadModel('runs/x/model'); // ModelFormatError: runs/x/model/model.json: not valid JSON (...)
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

/** What {@link UnsupportedLayerError} is told: the layer, what refuses it, and what it supports instead. */
export interface UnsupportedLayerDetails {
  /** The layer's class (`LSTM`, `Lambda`, `Conv2D`). */
  className: string;
  /** The layer's name, where the one refusing it knows the name (the Keras reader does; the exporter checks classes). */
  name?: string;
  /** What refuses it, as the message says it: `the Keras reader`, `the ONNX exporter`. */
  refusedBy: string;
  /** The layer classes that one supports. */
  supported: readonly string[];
  /** The model file, when the layer came from one; the message then starts with it. */
  file?: string;
  /** Why a known class is refused: the option it cannot honour (`groups = 2`). */
  detail?: string;
}

/**
 * A layer that cnnx cannot take: the Keras reader meets a class it does not know (an LSTM, a Lambda, a custom
 * layer) or an option TensorFlow.js cannot compute, or the ONNX exporter meets a tfjs class it has no
 * converter for. One class for both, so that a caller catches one type; the message is one line naming the
 * layer and listing the supported classes. Here because both `@cnnx/train` and `@cnnx/export` raise it (each
 * re-exports it).
 *
 * @example
 * try { await readKerasModel('model.keras'); } catch (error) {
 *   if (error instanceof UnsupportedLayerError) console.log(error.layer, error.className); // "lstm" "LSTM"
 * }
 * // message: "model.keras: layer 'lstm' (LSTM) is not supported by the Keras reader; supported: Activation, Add, …"
 */
export class UnsupportedLayerError extends Error {
  /** The layer's name where it is known, else its class (the exporter looks at classes only). */
  readonly layer: string;
  readonly className: string;
  readonly supported: readonly string[];
  /** The model file the layer came from, when there is one. */
  readonly file: string | undefined;
  /** The message without the file. */
  readonly reason: string;
  constructor(details: UnsupportedLayerDetails, options?: ErrorOptions) {
    const { className, name, refusedBy, supported, file, detail } = details;
    const what = name === undefined ? `layer class '${className}'` : `layer '${name}' (${className})`;
    const reason = `${what} is not supported by ${refusedBy}${detail ? ` (${detail})` : ''}; supported: ${supported.join(', ')}`;
    super(file === undefined ? reason : `${file}: ${reason}`, options);
    this.name = 'UnsupportedLayerError';
    this.layer = name ?? className;
    this.className = className;
    this.supported = supported;
    this.file = file;
    this.reason = reason;
  }
}

/**
 * A file names another file outside its own folder (`model.json` pointing its weights at
 * `../../../../etc/passwd`): cnnx reads only what lies inside the folder it was given.
 *
 * @example
 * // PathOutsideFolderError: runs/a/model.json: path "../../etc/passwd" leads outside runs/a; …
 */
export class PathOutsideFolderError extends Error {
  readonly file: string;
  readonly path: string;
  readonly folder: string;
  constructor(file: string, path: string, folder: string) {
    super(
      `${file}: path ${JSON.stringify(path)} leads outside ${folder}; files it names must lie inside its folder`,
    );
    this.name = 'PathOutsideFolderError';
    this.file = file;
    this.path = path;
    this.folder = folder;
  }
}
