import type { Logger } from 'pino';

/** A tensor as onnxruntime's `Tensor` exposes it (what `run` takes and returns). */
export interface ServedTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** One input or output of the served model, as the Classifier's `info` describes it. */
export interface ServedTensorInfo {
  readonly name: string;
  /** Dimensions; a string, `null` or a negative number marks a free (batch) dimension. */
  readonly shape: readonly (number | string | null)[];
  /** onnxruntime's element type name: `float32`, `uint8`, `int64`, ... */
  readonly type: string;
}

/**
 * What the server needs from a loaded model: the part of the `Classifier` contract
 * (docs/ARCHITECTURE.md) it calls. A `Classifier` from `@cnnx/runtime` satisfies it.
 */
export interface ServedModel {
  readonly info: {
    readonly inputs: readonly ServedTensorInfo[];
    readonly outputs: readonly ServedTensorInfo[];
    readonly classNames: readonly string[];
    /** How raw pixels become the model's input (`cnnx.input_scale`): used for UINT8 inputs. */
    readonly scale?: unknown;
    readonly device?: string;
    readonly provider?: string;
  };
  /** One onnxruntime run on whole tensors (the batch dimension first). */
  run(feeds: Record<string, ServedTensor>): Promise<Record<string, ServedTensor>>;
  /** Class probabilities (n × classes) for n prepared 28×28 digits, scaled as the model expects. */
  probabilities(pixels: Uint8Array, count: number): Promise<Float32Array>;
  /** Why the model can no longer run (released, its worker thread stopped); undefined while it can. */
  readonly failure?: Error | undefined;
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The loaded model to serve. */
  model: ServedModel;
  /** The model's name in URLs (`/v2/models/{name}`). Default `mnist`. */
  name?: string;
  /** Largest number of images gathered into one onnxruntime run. Default 64. */
  maxBatch?: number;
  /** Longest time the first request of a batch waits for others, in ms. Default 2; 0 gathers only the requests read in the same event-loop turn. */
  maxDelayMs?: number;
  /** Requests allowed to wait for a batch; one more is answered 503. Default 1024. */
  maxQueue?: number;
  /** When set, every request except the health probes needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body in bytes; larger ones are answered 413. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Largest image (width × height) `/classify` decodes; larger ones are refused from their header. Default 4096 × 4096. */
  maxImagePixels?: number;
  /** Most files in one multipart `/classify` request. Default 64. */
  maxFiles?: number;
  /** Classes returned per image by `/classify` unless `?top=` says otherwise. Default 3. */
  topK?: number;
  /** A pino logger, or `false` for none (the default, quiet for tests and embedding). */
  logger?: Logger | false;
  /** When set and no `logger` is given: JSON logs to stdout at this level (`info`, `debug`, ...). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Version reported by `GET /v2`. */
  version?: string;
  /**
   * Called once, the first time the server finds that the model can no longer run (a request or a
   * health probe after its worker thread stopped, say). The server already answers 503 by then;
   * `cnnx serve` exits 1 here so that a supervisor restarts it.
   */
  onModelFailure?: (error: Error) => void;
}

/** Statistics of one onnxruntime run made by the batcher. */
export interface BatchStats {
  images: number;
  requests: number;
  inferenceSeconds: number;
}
