/** The public types of `@cnnx/runtime`, shared by the node and browser entries. */
import type { InputScale } from '@cnnx/data/browser';

/** Where a model runs. `auto` picks the fastest device that loads: cuda then cpu in Node, webgpu then wasm in a browser. */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'wasm';

/** How the model's image input is laid out: `[batch, height, width, channels]` or `[batch, channels, height, width]`. */
export type InputLayout = 'nhwc' | 'nchw';

/** How raw 0-255 pixels become the model's input (the `cnnx.input_scale` metadata; `@cnnx/data`'s vocabulary). */
export type { InputScale };

/** Options of {@link Classifier.load}. Unset session options keep onnxruntime's defaults. */
export interface ClassifierOptions {
  /** Where to run; `auto` (default) falls back device by device and records why in `info.skipped`. */
  device?: Device;
  /** Intra-op threads (onnxruntime's `intraOpNumThreads`); 0 or unset lets onnxruntime choose. */
  threads?: number;
  /** Graph optimisation level before the first run. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Run independent nodes one after another (default) or in parallel. */
  executionMode?: 'sequential' | 'parallel';
  /** onnxruntime's CPU memory arena (default on). */
  memoryArena?: boolean;
  /**
   * Node only: a file that caches the optimised graph. The first load writes it; later loads of the same
   * model (same SHA-256) read it and skip graph optimisation. The graph may hold optimisations for this
   * machine's CPU: keep the cache on the machine that wrote it.
   */
  optimizedModelFilePath?: string;
  /**
   * Node only: open the onnxruntime session in a worker thread. onnxruntime-node computes on the thread
   * that calls `run`, so on the main thread a run stops the event loop until it ends; in a worker, timers and
   * sockets keep being served meanwhile (what `cnnx serve` does). Inputs are copied once to cross threads.
   */
  worker?: boolean;
  /** Overrides the class names of the model's metadata. */
  classNames?: string[];
  /** Overrides the input layout of the model's metadata. */
  inputLayout?: InputLayout;
  /** Overrides the input scaling of the model's metadata (`unit`, `none` or `standard:MEAN:STD`). */
  inputScale?: string;
}

/** Options of `classify`. */
export interface ClassifyOptions {
  /** How many classes to list in `top`, best first (default 3, at most the number of classes). */
  topK?: number;
  /**
   * Prepare images that are not at the model's size as MNIST digits (`@cnnx/data`'s `prepareDigit`: polarity,
   * crop, centre of mass). Default true. With false, Node image files are only decoded, made gray and resized.
   */
  prepare?: boolean;
}

/** One class and its probability. */
export interface ClassScore {
  label: string;
  index: number;
  probability: number;
}

/** The answer for one image: the best class and the `topK` best, best first. */
export interface Classification extends ClassScore {
  top: ClassScore[];
}

/** Decoded pixels of one image, row-major, `channels` values per pixel (default 1), 0-255. */
export interface ImagePixels {
  pixels: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  channels?: number;
}

/** An `ImageData` (RGBA bytes), or anything shaped like one. */
export interface ImageDataLike {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** What `classify` accepts in every environment. */
export type ImageInput = ImagePixels | ImageDataLike;

/** A tensor as onnxruntime's `Tensor` exposes it (what `run` takes and returns). */
export interface TensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** One input or output of the model. Symbolic dimensions (like `batch`) are strings. */
export interface ValueInfo {
  name: string;
  type: string;
  shape: (number | string)[];
}

/** A device that was tried before the one in use, and why it was skipped. */
export interface SkippedDevice {
  device: string;
  reason: string;
}

/** What runs and how the model is read. */
export interface ClassifierInfo {
  /** The device that runs the model. */
  device: string;
  /** The onnxruntime execution provider in use (for example `cpu`, `cuda`, `webgpu`, `wasm`). */
  provider: string;
  /** Devices preferred to `device` that could not run, with the reason. */
  skipped: SkippedDevice[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** The default-domain opset the model was written for. */
  opset: number;
  classNames: string[];
  layout: InputLayout;
  scale: InputScale;
  /** The image the model takes, when its input is an image: height × width × channels. */
  image: { height: number; width: number; channels: number } | null;
  /** Where each of classNames, layout and scale came from: the file's cnnx metadata, a default or an option. */
  sources: { classNames: MetadataSource; layout: MetadataSource; scale: MetadataSource };
  /** Whether the model's outputs are probabilities, or logits that the runtime turns into them with a softmax. */
  outputKind: 'probabilities' | 'logits' | 'unknown';
  /** Node: whether the optimised-model cache file was read (graph optimisation skipped) or written. */
  optimizedModelCache: 'read' | 'written' | null;
  /**
   * Threads: in Node the intra-op threads asked for (null: onnxruntime's default); in a browser on wasm, the
   * wasm threads (more than 1 only in a cross-origin isolated page; fixed by the page's first load).
   */
  threads: number | null;
}

export type MetadataSource = 'metadata' | 'default' | 'option';

/** Whether one onnxruntime-node execution provider runs here (see `describeExecutionProviders`). */
export interface ExecutionProviderStatus {
  /** onnxruntime's name: `cpu`, `cuda`, `tensorrt`, `webgpu`, and on other systems `dml`, `coreml`… */
  name: string;
  /** A session opened on it and ran the probe model, with the expected result. */
  available: boolean;
  /** Why not, in one line (absent when available). */
  reason?: string;
  /** onnxruntime-node's package holds its library (false: a separate download; null: not compiled in). */
  bundled: boolean | null;
  /** The cnnx device that runs on it (`Classifier.load(…, { device })`), or null when cnnx does not use it in Node. */
  device: Device | null;
}

/** This machine as far as running and training models goes (see `describeMachine`). */
export interface MachineDescription {
  platform: string;
  arch: string;
  /** Node's version, and npm's (null when npm cannot be found). */
  node: string;
  npm: string | null;
  cpu: {
    model: string;
    /** Logical CPUs, and how many of them this process may use (cgroups, affinity). */
    logicalCores: number;
    usableCores: number;
    /** The SIMD extensions that matter for inference and training (AVX2, AVX-512, VNNI, NEON…), as the OS names them. */
    simd: string[];
    /** Whether this JavaScript engine runs WebAssembly SIMD (tfjs's wasm backend and cnnx's kernels need it to be fast). */
    wasmSimd: boolean;
  };
  memory: { totalBytes: number; freeBytes: number };
  /** NVIDIA GPUs as `nvidia-smi` lists them; `reason` says why none is visible. */
  gpu: {
    visible: boolean;
    devices: { name: string; memoryMiB: number | null; driver: string | null }[];
    reason?: string;
  };
}
