import type * as tf from '@tensorflow/tfjs';

/** The wasm backend's own kernels that cnnx's replaced, kept so ours can hand cases back to them. */
const stockKernels = new Map<string, tf.KernelConfig>();

/**
 * Keeps the stock wasm kernel that a cnnx kernel is about to replace.
 *
 * @example
 * rememberStockKernel(tf.getKernel('BatchMatMul', 'wasm')!);
 */
export function rememberStockKernel(config: tf.KernelConfig): void {
  stockKernels.set(config.kernelName, config);
}

/**
 * The stock wasm kernel that cnnx's replaced, for the cases ours hand back.
 *
 * @example
 * stockKernel('BatchMatMul')({ inputs: { a, b }, backend, attrs });
 */
export function stockKernel(kernelName: string): tf.KernelFunc {
  const config = stockKernels.get(kernelName);
  if (config === undefined) throw new Error(`The wasm backend has no stock '${kernelName}' kernel.`);
  return config.kernelFunc;
}

/**
 * Every remembered stock kernel, to put back when cnnx's are removed; forgets them.
 *
 * @example
 * for (const config of takeStockKernels()) tf.registerKernel(config);
 */
export function takeStockKernels(): tf.KernelConfig[] {
  const configs = [...stockKernels.values()];
  stockKernels.clear();
  return configs;
}
