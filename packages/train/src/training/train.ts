import { type Augmentation, augmentImage, createRandom, parseInputScale, scaleTable } from '@cnnx/data';
import * as tf from '@tensorflow/tfjs';
import { tfjsEngine } from '../engines/tfjs-engine.js';
import type {
  EngineBatch,
  EngineOptions,
  EngineSettings,
  NamedWeights,
  TrainingEngine,
  TrainingStepper,
} from '../engines/types.js';
import { InputShapeError, NonFiniteLossError } from '../errors.js';
import type {
  BackendName,
  EpochLogs,
  ImageSet,
  LearningRateSchedule,
  TrainCallbacks,
  TrainData,
  TrainOptions,
  TrainResult,
  TrainState,
} from '../types.js';
import { crossEntropy } from './cross-entropy.js';
import { DEFAULT_LEARNING_RATES, OPTIMIZER_NAMES, scheduledLearningRate } from './optimizers.js';
import { mixSeed } from './seeds.js';

export { mixSeed };

/** Where training continues from: a checkpoint's state and the optimizer's saved weights. */
export interface ResumePoint {
  state: TrainState;
  optimizerWeights: NamedWeights;
  /** With early stopping's restore-best: the weights of the best epoch so far. */
  bestWeights?: tf.Tensor[];
}

/** `trainModel`'s options: how to train, the hooks, and optionally where to resume. */
export type TrainModelOptions = TrainOptions &
  Omit<TrainCallbacks, 'onCheckpoint'> & {
    /** Called after every epoch (and on interruption) with what a checkpoint must hold. */
    onCheckpoint?: (
      state: TrainState,
      optimizer: OptimizerState,
      bestWeights: tf.Tensor[] | null,
    ) => void | Promise<void>;
    resume?: ResumePoint;
    /** The engine that runs the steps (default: tfjs on its current backend). */
    engine?: TrainingEngine;
    /** Where the engine runs: device and threads. */
    engineOptions?: Omit<EngineOptions, 'optimizerWeights'>;
  };

/** What a checkpoint reads the optimizer's state from: a tfjs optimizer, or an engine's stepper. */
export interface OptimizerState {
  getWeights(): Promise<NamedWeights>;
}

/**
 * How each step learns, from the run's options: the optimizer with its momentum as `createOptimizer` resolves
 * it, the loss and label smoothing.
 *
 * @example
 * engineSettingsOf({ optimizer: 'sgd', nesterov: true }); // { optimizer: 'sgd', momentum: 0.9, nesterov: true, … }
 */
export function engineSettingsOf(options: TrainOptions): EngineSettings {
  const optimizer = options.optimizer ?? 'adam';
  const nesterov = options.nesterov ?? false;
  const momentum =
    optimizer === 'sgd'
      ? (options.momentum ?? (nesterov ? 0.9 : 0))
      : optimizer === 'rmsprop'
        ? (options.momentum ?? 0)
        : 0;
  return {
    optimizer,
    momentum,
    nesterov,
    loss: options.loss ?? 'sparse-categorical-crossentropy',
    labelSmoothing: options.labelSmoothing ?? 0,
  };
}

/**
 * The order in which epoch `epoch` (1-based) visits the images: a seeded shuffle, so a resumed run
 * sees exactly the batches the uninterrupted run would have.
 *
 * @example
 * epochOrder(5, 42, 1); // Uint32Array [3, 0, 4, 1, 2] (the same every time)
 */
export function epochOrder(count: number, seed: number, epoch: number, shuffle = true): Uint32Array {
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index += 1) order[index] = index;
  return shuffle ? createRandom(mixSeed(seed, epoch)).shuffle(order) : order;
}

function checkNumber(name: string, value: unknown, test: (value: number) => boolean, expected: string): void {
  if (value !== undefined && (typeof value !== 'number' || !test(value))) {
    throw new RangeError(`'${name}' must be ${expected}; got ${value}`);
  }
}

function checkSchedule(schedule: LearningRateSchedule): void {
  const types = ['constant', 'step', 'cosine', 'plateau'];
  if (!types.includes(schedule.type)) {
    throw new RangeError(
      `'schedule.type' must be one of ${types.join(', ')}; got ${JSON.stringify(schedule.type)}`,
    );
  }
  if (schedule.type === 'step') {
    checkNumber(
      'schedule.everyEpochs',
      schedule.everyEpochs,
      (v) => Number.isInteger(v) && v >= 1,
      'an integer ≥ 1',
    );
    checkNumber('schedule.factor', schedule.factor, (v) => v > 0 && v <= 1, 'in (0, 1]');
  }
  if (schedule.type === 'plateau') {
    checkNumber('schedule.factor', schedule.factor, (v) => v > 0 && v < 1, 'in (0, 1)');
    checkNumber(
      'schedule.patience',
      schedule.patience,
      (v) => Number.isInteger(v) && v >= 0,
      'an integer ≥ 0',
    );
  }
}

/** Throws a RangeError/TypeError naming the bad option, before any work is done. */
function checkTrainOptions(
  model: tf.LayersModel,
  data: TrainData,
  options: TrainOptions,
  batchSize: number,
  engine: string,
): void {
  checkNumber('epochs', options.epochs, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  checkNumber('batchSize', options.batchSize, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  checkNumber('learningRate', options.learningRate, (v) => v > 0 && Number.isFinite(v), 'a number > 0');
  checkNumber('momentum', options.momentum, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkNumber('labelSmoothing', options.labelSmoothing, (v) => v >= 0 && v < 1, 'in [0, 1)');
  if (options.optimizer !== undefined && !OPTIMIZER_NAMES.includes(options.optimizer)) {
    throw new RangeError(
      `'optimizer' must be one of ${OPTIMIZER_NAMES.join(', ')}; got ${JSON.stringify(options.optimizer)}`,
    );
  }
  const losses = ['sparse-categorical-crossentropy', 'categorical-crossentropy'];
  if (options.loss !== undefined && !losses.includes(options.loss)) {
    throw new RangeError(`'loss' must be one of ${losses.join(', ')}; got ${JSON.stringify(options.loss)}`);
  }
  if (options.schedule) checkSchedule(options.schedule);
  const { train } = data;
  if (!train || train.count < 1) throw new RangeError("'data.train' must hold at least one image");
  if (batchSize > train.count) {
    throw new RangeError(`'batchSize' ${batchSize} is larger than the training set (${train.count} images)`);
  }
  const expected = model.inputs[0]?.shape.slice(1) ?? [];
  for (const [what, set] of [
    ['the training set', train],
    ['the validation set', data.validation],
  ] as const) {
    if (set === undefined) continue;
    const shape = [...set.shape];
    if (
      expected.length !== shape.length ||
      expected.some((size, axis) => size !== null && size !== shape[axis])
    ) {
      throw new InputShapeError(
        expected.map((size) => size ?? -1),
        shape,
        what,
      );
    }
  }
  const classes = model.outputs[0]?.shape[1];
  const maxLabel = train.labels.reduce((max, label) => Math.max(max, label), 0);
  if (typeof classes === 'number' && maxLabel >= classes) {
    throw new RangeError(`the training set has label ${maxLabel} but the model has only ${classes} outputs`);
  }
  if (engine === 'wasm') checkWasmMemory(model, batchSize, train.shape);
}

/** The wasm backend addresses tensors below 2 GiB (offsets past it overflow a signed 32-bit integer). */
const WASM_TENSOR_BYTES = 2 * 1024 ** 3;

/**
 * On the wasm backend, refuses a model and batch whose tensors cannot fit below {@link WASM_TENSOR_BYTES}:
 * the weights with their gradients and two Adam moments, and every layer's output kept for the backward pass
 * plus its gradient. Past that, tfjs fails deep inside a kernel ("Start offset -1441393064 is outside the
 * bounds of the buffer"); this says what to change instead.
 */
function checkWasmMemory(model: tf.LayersModel, batchSize: number, shape: readonly number[]): void {
  let activations = 0;
  for (const layer of model.layers) {
    const shapes = layer.outputShape as (number | null)[] | (number | null)[][];
    for (const dims of Array.isArray(shapes[0])
      ? (shapes as (number | null)[][])
      : [shapes as (number | null)[]]) {
      activations += dims.slice(1).reduce<number>((product, size) => product * (size ?? 1), 1);
    }
  }
  const bytes = 4 * (4 * model.countParams() + 2 * batchSize * activations);
  if (bytes > WASM_TENSOR_BYTES) {
    const gigabytes = (bytes / 1e9).toFixed(1);
    throw new RangeError(
      `training on images of ${shape.join('×')} at batch ${batchSize} needs about ${gigabytes} GB of tensors ` +
        `(${model.countParams().toLocaleString('en-US')} weights with their gradients and Adam moments, and each ` +
        `layer's outputs), more than the 2.1 GB the wasm backend can address: use smaller images or a smaller batch`,
    );
  }
}

/**
 * Images `order[start..end)` as NHWC floats, each byte scaled through `table` (the run's input
 * scale: [0, 1] for `unit`), randomly shifted/rotated/zoomed when `augment` is given (drawn from `seed`, so
 * a resumed run sees the same images).
 */
function batchImages(
  set: ImageSet,
  order: ArrayLike<number>,
  start: number,
  end: number,
  augment: Augmentation | undefined,
  seed: number,
  table: Float32Array,
): Float32Array {
  const [height, width, channels] = set.shape as [number, number, number];
  const pixels = height * width * channels;
  const floats = new Float32Array((end - start) * pixels);
  const random = augment ? createRandom(seed) : undefined;
  for (let row = start; row < end; row += 1) {
    const index = order[row]!;
    const image = set.images.subarray(index * pixels, (index + 1) * pixels);
    const offset = (row - start) * pixels;
    if (random && augment) {
      augmentImage(image, height, width, channels, augment, random, table, floats, offset);
    } else {
      for (let pixel = 0; pixel < pixels; pixel += 1) floats[offset + pixel] = table[image[pixel]!]!;
    }
  }
  return floats;
}

/** Images `start..end` of a set, in order, as NHWC floats scaled through `table` (for evaluation). */
function sliceImages(set: ImageSet, start: number, end: number, table: Float32Array): Float32Array {
  const order = new Uint32Array(end - start);
  for (let row = 0; row < order.length; row += 1) order[row] = start + row;
  return batchImages(set, order, 0, order.length, undefined, 0, table);
}

/** A contiguous slice of a set as an NHWC float tensor scaled through `table` (for evaluation). */
function sliceTensor(set: ImageSet, start: number, end: number, table: Float32Array): tf.Tensor4D {
  const [height, width, channels] = set.shape as [number, number, number];
  return tf.tensor4d(sliceImages(set, start, end, table), [end - start, height, width, channels]);
}

/** The images an evaluation runs on, in order and unaugmented, `batchSize` at a time, built as they are needed. */
function* evaluationBatches(set: ImageSet, batchSize: number, table: Float32Array): Generator<EngineBatch> {
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    yield {
      images: sliceImages(set, start, end, table),
      labels: Int32Array.from(set.labels.subarray(start, end)),
      count: end - start,
    };
  }
}

/** How many images an evaluation computes at once, on tfjs or on an engine. */
const EVALUATION_BATCH = 256;

/**
 * Summed loss and hits of one batch of the model's output: the run's cross-entropy (with its label smoothing)
 * times the batch's size, and how many of its top classes are the labels. Every evaluation reads outputs here.
 */
function batchMetrics(
  probabilities: tf.Tensor,
  labels: tf.Tensor1D,
  classes: number,
  labelSmoothing: number,
): [number, number] {
  return tf.tidy(() => {
    const loss = crossEntropy(probabilities, labels, classes, labelSmoothing);
    const hits = probabilities.argMax(-1).equal(labels).sum();
    return [loss.dataSync()[0]! * labels.shape[0], hits.dataSync()[0]!];
  });
}

/**
 * Loss, correct predictions and count of a stepper's current weights on `batches`, from the probabilities its
 * engine predicts in inference mode (dropout off, batch norm on its moving statistics); the loss is the same
 * quantity as {@link evaluateModel}'s. Throws when the engine cannot predict.
 *
 * @example
 * const { loss, correct, count } = await evaluateOnEngine(stepper, batches, 10, 0.1);
 */
export async function evaluateOnEngine(
  stepper: TrainingStepper,
  batches: Iterable<EngineBatch>,
  classes: number,
  labelSmoothing: number,
): Promise<{ loss: number; correct: number; count: number }> {
  if (!stepper.predict) throw new Error(`the ${stepper.info.engine} engine does not predict`);
  const list = [...batches];
  const outputs = await stepper.predict(list);
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  list.forEach((batch, index) => {
    const [batchLoss, batchCorrect] = tf.tidy(() =>
      batchMetrics(
        tf.tensor2d(outputs[index]!, [batch.count, classes]),
        tf.tensor1d(batch.labels, 'int32'),
        classes,
        labelSmoothing,
      ),
    );
    lossSum += batchLoss;
    correct += batchCorrect;
    count += batch.count;
  });
  return { loss: lossSum / count, correct, count };
}

/**
 * Loss and accuracy of the stepper's current weights on `set`: on the engine when it predicts (onnxruntime,
 * in inference mode), otherwise with {@link evaluateModel} on the tfjs model (which `syncWeights` has updated).
 */
async function evaluateStepper(
  stepper: TrainingStepper,
  model: tf.LayersModel,
  set: ImageSet,
  labelSmoothing: number,
  inputScale: string,
  table: Float32Array,
): Promise<{ loss: number; accuracy: number }> {
  if (!stepper.predict) return evaluateModel(model, set, labelSmoothing, EVALUATION_BATCH, inputScale);
  const classes = model.outputs[0]!.shape[1] as number;
  const batches = evaluationBatches(set, EVALUATION_BATCH, table);
  const { loss, correct, count } = await evaluateOnEngine(stepper, batches, classes, labelSmoothing);
  return { loss, accuracy: correct / count };
}

/**
 * Loss and accuracy of `model` on `set`, in batches (no weight changes, dropout off), its bytes scaled as
 * `inputScale` says (`unit`, `none` or `standard:MEAN:STD`, as in training).
 *
 * @example
 * const { loss, accuracy } = evaluateModel(model, validation, 0);
 */
export function evaluateModel(
  model: tf.LayersModel,
  set: ImageSet,
  labelSmoothing = 0,
  batchSize = 256,
  inputScale = 'unit',
): { loss: number; accuracy: number } {
  const table = scaleTable(parseInputScale(inputScale));
  const classes = model.outputs[0]!.shape[1] as number;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const [batchLoss, batchCorrect] = tf.tidy(() =>
      batchMetrics(
        model.predict(sliceTensor(set, start, end, table)) as tf.Tensor,
        tf.tensor1d(set.labels.subarray(start, end), 'int32'),
        classes,
        labelSmoothing,
      ),
    );
    lossSum += batchLoss;
    correct += batchCorrect;
  }
  return { loss: lossSum / set.count, accuracy: correct / set.count };
}

function freshState(learningRate: number): TrainState {
  return {
    epochsDone: 0,
    batchesDone: 0,
    partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
    history: [],
    learningRate,
    plateau: { best: Number.POSITIVE_INFINITY, wait: 0 },
    early: { best: Number.POSITIVE_INFINITY, bestEpoch: 0, wait: 0 },
  };
}

/**
 * Trains `model` with a custom loop: one step of `options.engine` per batch (default: tfjs's
 * `optimizer.minimize` on the current backend; `@cnnx/runtime/training` adds onnxruntime, which takes its
 * batches `stepsPerCall` at a time, within an epoch), batches built
 * from the byte images as they are needed, a seeded shuffle per epoch and seeded dropout masks per step, so
 * the same seed on the same engine gives the same history. The engine's weights go back into `model` at
 * every epoch end and before every checkpoint. Calls `onBatchEnd`/`onEpochEnd` for progress
 * and `onCheckpoint` after every epoch; stops early when `shouldStop()` turns true (for Ctrl-C),
 * when early stopping fires, or with {@link NonFiniteLossError} when the loss becomes NaN.
 *
 * @example
 * const result = await trainModel(model, { train, validation }, { epochs: 3, batchSize: 64, seed: 42 });
 * result.history.at(-1); // { epoch: 3, loss: 0.05, accuracy: 0.98, valLoss: 0.06, valAccuracy: 0.98, … }
 */
export async function trainModel(
  model: tf.LayersModel,
  data: TrainData,
  options: TrainModelOptions = {},
): Promise<TrainResult> {
  const epochs = options.epochs ?? 5;
  const batchSize = options.batchSize ?? 64;
  const engine = options.engine ?? tfjsEngine(tf.getBackend() as BackendName);
  checkTrainOptions(model, data, options, batchSize, engine.name);
  const seed = options.seed ?? 42;
  const schedule = options.schedule ?? { type: 'constant' };
  const baseRate = options.learningRate ?? DEFAULT_LEARNING_RATES[options.optimizer ?? 'adam'];
  const { train, validation } = data;
  const inputScale = options.inputScale ?? 'unit';
  const table = scaleTable(parseInputScale(inputScale, "'inputScale'"));
  const batches = Math.ceil(train.count / batchSize);
  const settings = engineSettingsOf(options);
  const state = options.resume ? structuredClone(options.resume.state) : freshState(baseRate);
  const stepper: TrainingStepper = await engine.open(model, settings, {
    ...options.engineOptions,
    ...(options.resume ? { optimizerWeights: options.resume.optimizerWeights } : {}),
  });
  let bestWeights: tf.Tensor[] | null = options.resume?.bestWeights?.map((tensor) => tensor.clone()) ?? null;
  const started = performance.now();
  let stopReason: TrainResult['stopReason'] = 'completed';

  try {
    for (let epoch = state.epochsDone + 1; epoch <= epochs; epoch += 1) {
      if (schedule.type !== 'plateau') {
        state.learningRate = scheduledLearningRate(schedule, baseRate, state.learningRate, epoch, epochs);
      }
      const order = epochOrder(train.count, seed, epoch, options.shuffle ?? true);
      const partial = state.partial;
      // engines that run several steps per call (onnxruntime's looped graph) get that many batches at once
      const perCall = stepper.steps ? Math.max(1, stepper.stepsPerCall ?? 1) : 1;
      for (let batch = state.batchesDone; batch < batches; ) {
        const callStarted = performance.now();
        const group: (EngineBatch & { seed: number })[] = [];
        for (let index = batch; index < Math.min(batches, batch + perCall); index += 1) {
          const start = index * batchSize;
          const end = Math.min(train.count, start + batchSize);
          const stepSeed = mixSeed(seed, (epoch - 1) * batches + index + 1_000_003);
          const labels = new Int32Array(end - start);
          for (let row = start; row < end; row += 1) labels[row - start] = train.labels[order[row]!]!;
          const images = batchImages(train, order, start, end, options.augment, stepSeed, table);
          group.push({ images, labels, count: end - start, seed: stepSeed });
        }
        const results =
          group.length > 1 && stepper.steps
            ? await stepper.steps(group, {
                learningRate: state.learningRate,
                seeds: group.map((entry) => entry.seed),
              })
            : [await stepper.step(group[0]!, { learningRate: state.learningRate, seed: group[0]!.seed })];
        // a call's time is shared evenly among its batches
        const seconds = (performance.now() - callStarted) / 1000 / group.length;
        for (const [index, { loss, correct }] of results.entries()) {
          if (!Number.isFinite(loss))
            throw new NonFiniteLossError(epoch, batch + index + 1, state.learningRate);
          const count = group[index]!.count;
          partial.lossSum += loss * count;
          partial.correct += correct;
          partial.seen += count;
          partial.seconds += seconds;
          state.batchesDone = batch + index + 1;
          await options.onBatchEnd?.({
            epoch,
            epochs,
            batch: batch + index + 1,
            batches,
            loss: partial.lossSum / partial.seen,
            accuracy: partial.correct / partial.seen,
            imagesPerSecond: partial.seen / Math.max(partial.seconds, 1e-9),
          });
        }
        batch += group.length;
        // Let signals (Ctrl-C), timers and progress bars run between calls.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (options.shouldStop?.() && batch < batches) {
          stopReason = 'interrupted';
          break;
        }
      }
      if (stopReason === 'interrupted') {
        await stepper.syncWeights();
        await options.onCheckpoint?.(structuredClone(state), stepper, bestWeights);
        break;
      }

      const logs: EpochLogs = {
        epoch,
        epochs,
        loss: partial.lossSum / partial.seen,
        accuracy: partial.correct / partial.seen,
        learningRate: state.learningRate,
        imagesPerSecond: partial.seen / Math.max(partial.seconds, 1e-9),
        seconds: partial.seconds,
      };
      // the weights go back into the tfjs model at every epoch end (validation, checkpoint, early stopping read them)
      await stepper.syncWeights();
      if (validation) {
        const measured = await evaluateStepper(
          stepper,
          model,
          validation,
          settings.labelSmoothing,
          inputScale,
          table,
        );
        logs.valLoss = measured.loss;
        logs.valAccuracy = measured.accuracy;
      }
      state.history.push(logs);
      state.epochsDone = epoch;
      state.batchesDone = 0;
      state.partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      const monitored = logs.valLoss ?? logs.loss;

      if (schedule.type === 'plateau') {
        if (monitored < state.plateau.best) {
          state.plateau = { best: monitored, wait: 0 };
        } else if (++state.plateau.wait > schedule.patience) {
          state.learningRate = Math.max(state.learningRate * schedule.factor, schedule.minLearningRate ?? 0);
          state.plateau.wait = 0;
        }
      }
      let stopEarly = false;
      const early = options.earlyStopping;
      if (early) {
        if (monitored < state.early.best - (early.minDelta ?? 0)) {
          state.early = { best: monitored, bestEpoch: epoch, wait: 0 };
          if (early.restoreBest) {
            for (const tensor of bestWeights ?? []) tensor.dispose();
            bestWeights = model.getWeights().map((weight) => weight.clone());
          }
        } else if (++state.early.wait >= early.patience) {
          stopEarly = true;
        }
      }
      await options.onEpochEnd?.(logs);
      await options.onCheckpoint?.(structuredClone(state), stepper, bestWeights);
      if (stopEarly) {
        stopReason = 'early-stopping';
        break;
      }
      if (options.shouldStop?.() && epoch < epochs) {
        stopReason = 'interrupted';
        break;
      }
    }
    let bestEpoch: number | null = state.history.at(-1)?.epoch ?? null;
    if (stopReason === 'early-stopping' && options.earlyStopping?.restoreBest && bestWeights) {
      model.setWeights(bestWeights);
      bestEpoch = state.early.bestEpoch;
    }
    return {
      history: state.history,
      stopReason,
      bestEpoch,
      seconds: (performance.now() - started) / 1000,
      state,
    };
  } finally {
    for (const tensor of bestWeights ?? []) tensor.dispose();
    await stepper.close();
  }
}
