import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './index.js';

/**
 * The folder holding tfjs-backend-wasm's `.wasm` binaries, with a trailing separator, as
 * `setWasmPaths` wants it in Node.
 *
 * @example
 * wasmBinaryDirectory(); // '/…/node_modules/@tensorflow/tfjs-backend-wasm/dist/'
 */
export function wasmBinaryDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
}

let pathsSet = false;

/**
 * Makes tfjs's `wasm` backend the active one, with cnnx's training kernels registered.
 * Rejects when the backend cannot start.
 *
 * @example
 * await useWasmTrainingBackend();
 * tf.getBackend(); // 'wasm'
 */
export async function useWasmTrainingBackend(): Promise<void> {
  registerWasmTrainingKernels();
  if (!pathsSet) {
    setWasmPaths(wasmBinaryDirectory());
    pathsSet = true;
  }
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('The tfjs wasm backend failed to initialise.');
}
