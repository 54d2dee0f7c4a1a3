import { assertCudaAvailable } from '@cnnx/runtime';

/**
 * Refuses `--device cuda` before any work when onnxruntime-node has no CUDA provider here, in the words
 * inference and the training engine use. The tfjs backends ignore `--device`, so only `auto` and
 * `onnxruntime` are checked.
 *
 * @example
 * checkTrainingDevice('auto', 'cuda'); // throws DeviceUnavailableError on a machine without the CUDA provider
 */
export function checkTrainingDevice(backend: string, device: 'cpu' | 'cuda' | undefined): void {
  if (device === 'cuda' && (backend === 'auto' || backend === 'onnxruntime')) assertCudaAvailable();
}
