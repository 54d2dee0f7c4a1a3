/** A model spec that cannot be built: names the layer, the option and what is accepted. */
export class ModelSpecError extends Error {
  readonly layer: string;
  readonly option: string | undefined;
  constructor(layer: string, option: string | undefined, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelSpecError';
    this.layer = layer;
    this.option = option;
  }
}

/** The model's input shape differs from the data's. */
export class InputShapeError extends Error {
  readonly expected: number[];
  readonly actual: number[];
  constructor(expected: number[], actual: number[], what = 'the dataset') {
    super(
      `the model expects input shape [${expected.join(', ')}] but ${what} has images of shape [${actual.join(', ')}]`,
    );
    this.name = 'InputShapeError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** A backend that was asked for by name and cannot load. */
export class BackendUnavailableError extends Error {
  readonly backend: string;
  constructor(backend: string, reason: string, options?: ErrorOptions) {
    super(`backend "${backend}" cannot load: ${reason}`, options);
    this.name = 'BackendUnavailableError';
    this.backend = backend;
  }
}

/** The loss became NaN or infinite: training stopped. */
export class NonFiniteLossError extends Error {
  readonly epoch: number;
  readonly batch: number;
  readonly learningRate: number;
  constructor(epoch: number, batch: number, learningRate: number) {
    super(
      `the loss became NaN at epoch ${epoch}, batch ${batch} with learning rate ${learningRate}: ` +
        `training stopped; try a lower learning rate (for example ${learningRate / 10})`,
    );
    this.name = 'NonFiniteLossError';
    this.epoch = epoch;
    this.batch = batch;
    this.learningRate = learningRate;
  }
}

/** The model's output is NaN or infinite for an image: its weights are not numbers (training diverged). */
export class NonFiniteOutputError extends Error {
  readonly image: number;
  constructor(image: number, value: number) {
    super(
      `the model's output for image ${image} is ${value}: its weights hold NaN or infinite values (did its training diverge?)`,
    );
    this.name = 'NonFiniteOutputError';
    this.image = image;
  }
}

/** A folder that holds no loadable model (or a checkpoint that cannot be resumed). */
export class ModelNotFoundError extends Error {
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelNotFoundError';
    this.path = path;
  }
}
