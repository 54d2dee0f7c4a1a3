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
