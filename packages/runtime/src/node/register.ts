import { registerBackend } from '../core/backend.js';
import { cpuBackend, cudaBackend } from './backends.js';

/** Registers onnxruntime-node's devices: `cuda` first for `auto`, then `cpu`. */
export function registerNodeBackends(): void {
  registerBackend('cpu', cpuBackend, 10);
  registerBackend('cuda', cudaBackend, 100);
}
