/** The browser Classifier: loads from URLs and bytes; configures where onnxruntime-web finds its .wasm files. */
import { Classifier as CoreClassifier } from '../core/classifier.js';
import { openClassifier } from '../core/open-classifier.js';
import type { ClassifierOptions } from '../types.js';
import { ortEnvironment } from './backends.js';
import { browserEnvironment } from './environment.js';

/** What `Classifier.load` accepts in a browser. */
export type BrowserModelSource = string | URL | Uint8Array | ArrayBuffer;

/** Browser-only options of `Classifier.load`. */
export interface BrowserClassifierOptions extends ClassifierOptions {
  /**
   * Where onnxruntime-web's `.wasm` files are served (a folder URL ending in `/`, or onnxruntime-web's
   * file-name → URL map). Default: next to the bundled script.
   */
  wasmPaths?: string | Record<string, string>;
}

let wasmThreads: number | null = null;

/** Sets where the .wasm files are and how many threads wasm gets; onnxruntime-web reads both once, at its first session. */
export function configureWasm(options: Pick<BrowserClassifierOptions, 'wasmPaths' | 'threads'>): number {
  if (options.wasmPaths !== undefined) ortEnvironment.wasm.wasmPaths = options.wasmPaths;
  if (wasmThreads === null) {
    const environment = browserEnvironment();
    // Threads need SharedArrayBuffer, which only cross-origin isolated pages get.
    wasmThreads = environment.crossOriginIsolated
      ? Math.max(1, options.threads || Math.min(4, environment.cores))
      : 1;
    ortEnvironment.wasm.numThreads = wasmThreads;
  }
  return wasmThreads;
}

async function readSource(source: BrowserModelSource): Promise<{ bytes: Uint8Array; file: string }> {
  if (source instanceof Uint8Array) return { bytes: source, file: '(model bytes)' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), file: '(model bytes)' };
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new TypeError(
      `'source' must be a URL, Uint8Array or ArrayBuffer of an .onnx file, got ${typeof source}`,
    );
  }
  const url = String(source);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`cannot fetch ${url}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), file: url };
}

/**
 * An image classifier on onnxruntime-web: WebGPU when the browser grants an adapter, else WebAssembly.
 *
 * @example
 * const classifier = await Classifier.load('/models/mnist.onnx', { wasmPaths: '/ort/' });
 * const [result] = await classifier.classify(context.getImageData(0, 0, 280, 280));
 * console.log(result.label, classifier.info.provider); // → 7 webgpu
 */
export class Classifier extends CoreClassifier {
  /**
   * Loads an ONNX model from a URL (fetched), a `Uint8Array` or an `ArrayBuffer`. `device: 'auto'` tries
   * WebGPU then wasm, and `info.skipped` says why WebGPU was skipped.
   *
   * @example
   * const classifier = await Classifier.load(bytes, { device: 'wasm' });
   * classifier.info.provider; // → 'wasm'
   */
  static async load(source: BrowserModelSource, options: BrowserClassifierOptions = {}): Promise<Classifier> {
    const { bytes, file } = await readSource(source);
    const threads = configureWasm(options);
    const parts = await openClassifier(bytes, file, options);
    parts.info.threads = parts.info.provider === 'wasm' ? threads : null;
    return new Classifier(parts);
  }
}
