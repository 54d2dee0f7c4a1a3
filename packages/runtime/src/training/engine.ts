/**
 * The onnxruntime training engine of `@cnnx/train`: `cnnx train --backend onnxruntime` (and `auto` whenever it
 * covers the model). The step is `@cnnx/export`'s training graph, run by this package's `TrainingSession` on
 * onnxruntime-node (CPU, or the CUDA provider when it is installed). Node only.
 */

import { installedVersion } from '@cnnx/data';
import {
  buildTrainingGraph,
  checkTrainable,
  convertToOnnx,
  createTrainerRegistry,
  loopTrainingGraph,
  type OptimizerSettings,
  optimizerWeightsFromState,
  readTrainingState,
  stateFromOptimizerWeights,
  type TrainingGraph,
  writeTrainedWeights,
} from '@cnnx/export';
import type { EngineBatch, EngineSettings, NamedWeights, TrainingEngine, TrainingStepper } from '@cnnx/train';
import type * as tf from '@tensorflow/tfjs';
import { nchwcBlockSize, nodeTrainingBackend, TrainingSession } from './node.js';

/**
 * Steps per onnxruntime run on the CPU (`loopTrainingGraph`). onnxruntime-node copies every output of a run
 * into a new JavaScript buffer, the 5 MB of `classic`'s parameters and Adam slots included, and the
 * collector then reclaims them: about 2 ms of a 21-25 ms step, here. Four steps a run pay that once (eight
 * measured about the same, within this VM's noise), and Ctrl-C still stops within about 0.1 s.
 */
export const CPU_STEPS_PER_RUN = 4;

/** The graph builder's optimizer for a run's settings (tfjs's defaults otherwise, as `@cnnx/train` makes them). */
function optimizerOf(settings: EngineSettings): OptimizerSettings {
  switch (settings.optimizer) {
    case 'adam':
      return { name: 'adam' };
    case 'sgd':
      return { name: 'sgd', momentum: settings.momentum, nesterov: settings.nesterov };
    case 'rmsprop':
      return { name: 'rmsprop', decay: 0.9, momentum: settings.momentum, epsilon: 1e-7 };
  }
}

/**
 * The output of `model` (as its tfjs weights stand) for each of `batches`, in inference mode: the model exported
 * to ONNX (dropout gone, batch norm on its moving statistics) and run in an onnxruntime session that is released
 * at the end.
 */
async function predictExported(
  model: tf.LayersModel,
  batches: readonly EngineBatch[],
  device: 'cpu' | 'cuda',
  threads: number | undefined,
): Promise<Float32Array[]> {
  const backend = nodeTrainingBackend(device);
  const session = await backend.open(convertToOnnx(model), threads === undefined ? {} : { threads });
  const [, ...pixelShape] = model.inputs[0]!.shape as number[];
  // both onnxruntime packages name a session's inputs; the exporter calls a single input `input`
  const inputName = (session as { inputNames?: readonly string[] }).inputNames?.[0] ?? 'input';
  const outputs: Float32Array[] = [];
  try {
    for (const batch of batches) {
      const feeds = { [inputName]: backend.tensor('float32', batch.images, [batch.count, ...pixelShape]) };
      const results = await session.run(feeds);
      outputs.push(Float32Array.from(Object.values(results)[0]!.data as Float32Array));
    }
  } finally {
    await session.release();
  }
  return outputs;
}

/**
 * Trains on onnxruntime: the whole step (forward, loss, backward, optimizer) as one ONNX graph in one session,
 * its parameters, optimizer slots and batch-norm statistics carried in preallocated buffers. The weights go back
 * into the tfjs model on `syncWeights`; the optimizer's state comes out and goes in with tfjs's names and order,
 * so a checkpoint resumes on any engine.
 *
 * @example
 * import '@cnnx/runtime/training'; // registers it
 * await trainRun(config, {}, { backend: 'onnxruntime' }); // training backend: onnxruntime (cpu, 2 threads)
 */
export const onnxruntimeTrainingEngine: TrainingEngine = {
  name: 'onnxruntime',
  preferred: true,
  async describe() {
    const version = installedVersion('onnxruntime-node', import.meta.url) ?? 'unknown';
    return {
      available: true,
      detail: `the whole training step as one ONNX graph on onnxruntime-node ${version} (cpu; cuda with its provider), for the models whose every layer it trains`,
    };
  },
  covers(model) {
    const registry = createTrainerRegistry();
    const verdict = checkTrainable(model, registry);
    return verdict.trainable
      ? null
      : {
          layer: verdict.layer,
          className: verdict.className,
          reason: verdict.reason,
          supported: registry.supported(),
        };
  },
  async open(model, settings, options) {
    const device = options.device ?? 'cpu';
    // onnxruntime's blocked CPU convolutions take kernels only in their own layout: on the CPU the graph
    // reorders them itself (CUDA has no such operators).
    const block = device === 'cpu' ? await nchwcBlockSize() : null;
    // The loop's cross-entropy takes class indices for both losses (one-hot targets, then smoothing).
    const step: TrainingGraph = buildTrainingGraph(model, {
      loss: 'sparse-categorical-crossentropy',
      labelSmoothing: settings.labelSmoothing,
      optimizer: optimizerOf(settings),
      ...(block === null ? {} : { nchwcBlockSize: block }),
    });
    // CUDA runs the step graph, one step a run: the looped graph is measured on the CPU only
    const graph = device === 'cpu' ? loopTrainingGraph(step) : step;
    const stepsPerCall = device === 'cpu' ? CPU_STEPS_PER_RUN : 1;
    const state = readTrainingState(model, graph);
    let iterations = 0;
    if (options.optimizerWeights) {
      const restored = stateFromOptimizerWeights(graph, options.optimizerWeights);
      for (const [name, values] of restored.slots) state.set(name, values);
      iterations = restored.iterations;
    }
    const session = await TrainingSession.open(
      graph,
      state,
      { device, ...(options.threads === undefined ? {} : { threads: options.threads }) },
      iterations,
    );
    // tensors handed to a checkpoint; disposed on the next call and on close
    let handedOut: NamedWeights = [];
    // whether the tfjs model lags the session's weights (steps since the last syncWeights)
    let stale = false;
    const syncWeights = async () => {
      writeTrainedWeights(model, graph, await session.readState());
      stale = false;
    };
    const disposeHandedOut = () => {
      for (const weight of handedOut) weight.tensor.dispose();
      handedOut = [];
    };
    // the seed input is int32: the loop's unsigned step seeds keep their 32 bits
    const steps: NonNullable<TrainingStepper['steps']> = (batches, { learningRate, seeds }) => {
      stale = true;
      return session.steps(batches, { learningRate, seeds: seeds.map((seed) => seed | 0) });
    };
    return {
      info: { engine: 'onnxruntime', device, threads: options.threads ?? null },
      stepsPerCall,
      steps,
      step: async (batch, { learningRate, seed }) =>
        (await steps([batch], { learningRate, seeds: [seed] }))[0]!,
      syncWeights,
      // in inference mode on onnxruntime (tfjs's predict on wasm is about 10× slower on classic)
      async predict(batches) {
        if (stale) await syncWeights();
        return predictExported(model, batches, device, options.threads);
      },
      async getWeights() {
        disposeHandedOut();
        handedOut = optimizerWeightsFromState(graph, await session.readState(), session.iterations);
        return handedOut;
      },
      async close() {
        disposeHandedOut();
        await session.release();
      },
    };
  },
};
