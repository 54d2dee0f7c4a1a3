import * as tf from '@tensorflow/tfjs';
import { adamUpdateConfig } from './adam-update.js';
import { addConfig } from './add.js';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { batchNormGradConfig } from './batch-norm-grad.js';
import { castConfig } from './cast.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { fusedBatchNormConfig } from './fused-batch-norm.js';
import { identityConfig } from './identity.js';
import { maxPoolConfig } from './max-pool.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { meanConfig } from './mean.js';
import { meanGradConfig, meanGradient } from './mean-grad.js';
import { reluConfig } from './relu.js';
import { reluGradConfig, reluGradient } from './relu-grad.js';
import { smallBinaryKernel } from './small-elementwise.js';
import { softmaxConfig } from './softmax.js';
import { rememberStockKernel, takeStockKernels } from './stock-kernels.js';
import { sumConfig } from './sum.js';

/** The gradient kernels (and the fused Adam step, batch norm and its moments, ReLU's and Mean's gradients) cnnx adds to or replaces on tfjs's `wasm` backend, one per file. */
const trainingKernels = new Map<string, tf.KernelConfig>();

/**
 * Adds a kernel to cnnx's wasm training registry. Each kernel name may be added once.
 *
 * @example
 * addTrainingKernel(conv2dBackpropFilterConfig);
 * addTrainingKernel(conv2dBackpropFilterConfig); // throws: already in the registry
 */
export function addTrainingKernel(config: tf.KernelConfig): void {
  if (config.backendName !== 'wasm') {
    throw new RangeError(
      `Kernel '${config.kernelName}' is for backend '${config.backendName}', expected 'wasm'.`,
    );
  }
  if (trainingKernels.has(config.kernelName)) {
    throw new Error(`Kernel '${config.kernelName}' is already in the wasm training registry.`);
  }
  trainingKernels.set(config.kernelName, config);
}

addTrainingKernel(conv2dBackpropFilterConfig);
addTrainingKernel(conv2dBackpropInputConfig);
addTrainingKernel(maxPoolGradConfig);
addTrainingKernel(batchMatMulConfig);
addTrainingKernel(sumConfig);
addTrainingKernel(meanConfig);
addTrainingKernel(fusedBatchNormConfig);
addTrainingKernel(batchNormGradConfig);
addTrainingKernel(meanGradConfig);
addTrainingKernel(adamUpdateConfig);
addTrainingKernel(identityConfig);
addTrainingKernel(castConfig);
addTrainingKernel(reluGradConfig);
addTrainingKernel(addConfig);
addTrainingKernel(reluConfig);
// the loss's small elementwise products and quotients, off XNNPACK's thread pool
addTrainingKernel(smallBinaryKernel('Multiply', (x, y) => x * y));
addTrainingKernel(smallBinaryKernel('RealDiv', (x, y) => x / y));
addTrainingKernel(smallBinaryKernel('Sub', (x, y) => x - y));
addTrainingKernel(maxPoolConfig);
addTrainingKernel(softmaxConfig);

/** The gradients cnnx replaces while its kernels are registered, each made from tfjs's own (`stock`). */
const trainingGradients: Record<string, (stock: tf.GradConfig) => tf.GradConfig> = {
  Relu: reluGradient,
  Mean: meanGradient,
};

let registered = false;
/** tfjs's own gradients that {@link trainingGradients} replaced, to put back. */
const stockGradients: tf.GradConfig[] = [];

/**
 * Registers cnnx's gradient kernels for tfjs's `wasm` backend so that conv nets train there, and
 * fast. Safe to call more than once. The kernels run once `wasm` is the active backend.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
 * registerWasmTrainingKernels();
 * setWasmPaths(`${wasmPackageDir}/dist/`);
 * await tf.setBackend('wasm');
 * // model.fit(...) now trains conv layers on wasm
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const config of trainingKernels.values()) {
    const stock = tf.getKernel(config.kernelName, 'wasm');
    if (stock !== undefined) {
      rememberStockKernel(stock);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    // The stock kernel's setup (binding its wasm function) must still run when the backend starts,
    // since ours hands some cases back to it.
    const setupFunc = stock?.setupFunc;
    tf.registerKernel(setupFunc === undefined ? config : { ...config, setupFunc });
  }
  for (const [kernelName, replace] of Object.entries(trainingGradients)) {
    const stock = tf.getGradient(kernelName);
    if (stock === undefined) continue;
    stockGradients.push(stock);
    tf.registerGradient(replace(stock));
  }
  registered = true;
}

/**
 * Removes cnnx's wasm gradient kernels and puts back the stock ones they replaced (for
 * benchmarks that compare against stock tfjs in one process). Safe to call more than once.
 *
 * @example
 * unregisterWasmTrainingKernels();
 * tf.getKernel('Conv2DBackpropFilter', 'wasm'); // undefined again, as in stock tfjs
 */
export function unregisterWasmTrainingKernels(): void {
  if (!registered) return;
  for (const name of trainingKernels.keys()) tf.unregisterKernel(name, 'wasm');
  for (const stock of takeStockKernels()) tf.registerKernel(stock);
  for (const stock of stockGradients.splice(0)) tf.registerGradient(stock);
  registered = false;
}

/**
 * The names of the kernels {@link registerWasmTrainingKernels} registers.
 *
 * @example
 * wasmTrainingKernelNames(); // ['Conv2DBackpropFilter', 'Conv2DBackpropInput', …]
 */
export function wasmTrainingKernelNames(): string[] {
  return [...trainingKernels.keys()];
}
