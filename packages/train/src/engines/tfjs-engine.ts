/** The tfjs backends (tensorflow, wasm, cpu) as training engines: `optimizer.minimize` on the model itself. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { BackendUnavailableError } from '../errors.js';
import { crossEntropy } from '../training/cross-entropy.js';
import { createOptimizer, setLearningRate } from '../training/optimizers.js';
import { mixSeed } from '../training/seeds.js';
import type { BackendName } from '../types.js';
import type { TrainingEngine } from './types.js';

/**
 * The engine that trains on tfjs backend `name`: the one `initBackend` selected (it is selected here when it
 * is not). Covers every model tfjs can build.
 *
 * @example
 * const stepper = await tfjsEngine('wasm').open(model, settings, {});
 * await stepper.step({ images, labels, count: 64 }, { learningRate: 0.001, seed: 7 }); // { loss: 2.31, correct: 6 }
 */
export function tfjsEngine(name: BackendName): TrainingEngine {
  return {
    name,
    preferred: false,
    covers: () => null,
    async open(model, settings, options) {
      if ((options.device ?? 'cpu') !== 'cpu') {
        throw new BackendUnavailableError(
          name,
          `--device ${options.device} is for the onnxruntime backend; tfjs's ${name} runs on the cpu`,
        );
      }
      if (tf.getBackend() !== name) {
        await initBackend(name, options.threads === undefined ? {} : { threads: options.threads });
      }
      let threads: number | null = null;
      if (name === 'wasm') threads = (await import('../kernels/wasm-setup.js')).wasmThreadsCount();
      const optimizer = createOptimizer({
        optimizer: settings.optimizer,
        momentum: settings.momentum,
        nesterov: settings.nesterov,
      });
      if (options.optimizerWeights) await optimizer.setWeights(options.optimizerWeights);
      const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
      const classes = model.outputs[0]!.shape[1] as number;
      const [height, width, channels] = model.inputs[0]!.shape.slice(1) as [number, number, number];
      const dropouts = model.layers.filter((layer) => layer.getClassName() === 'Dropout') as unknown as {
        seed?: number;
      }[];
      const originalSeeds = dropouts.map((layer) => layer.seed);
      return {
        info: { engine: name, device: 'cpu', threads },
        async step(batch, { learningRate, seed }) {
          setLearningRate(optimizer, learningRate);
          dropouts.forEach((layer, index) => {
            layer.seed = mixSeed(seed, index);
          });
          let hits: tf.Scalar | undefined;
          return tf.tidy(() => {
            const images = tf.tensor4d(batch.images, [batch.count, height, width, channels]);
            const labels = tf.tensor1d(batch.labels, 'int32');
            const cost = optimizer.minimize(
              () => {
                const probabilities = model.apply(images, { training: true }) as tf.Tensor;
                hits = tf.keep(probabilities.argMax(-1).equal(labels).sum() as tf.Scalar);
                return crossEntropy(probabilities, labels, classes, settings.labelSmoothing);
              },
              true,
              variables,
            );
            const loss = cost!.dataSync()[0]!;
            const correct = hits!.dataSync()[0]!;
            hits!.dispose();
            return { loss, correct };
          });
        },
        // the steps train the model's own variables
        syncWeights: async () => {},
        getWeights: () => optimizer.getWeights(),
        async close() {
          dropouts.forEach((layer, index) => {
            layer.seed = originalSeeds[index];
          });
          optimizer.dispose();
        },
      };
    },
  };
}
