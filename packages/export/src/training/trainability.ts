import type * as tf from '@tensorflow/tfjs';
import { UnsupportedLayerError } from '../errors.js';
import { createTrainerRegistry } from './layers/index.js';
import { TRAINING_ENGINE, type TrainerRegistry } from './registry.js';
import type { Trainability } from './types.js';

interface NodeLike {
  inputTensors: { shape: (number | null)[] }[];
}

/** Non-trainable weights the training step carries itself (batch norm's moving statistics). */
const STATISTICS = new Set(['moving_mean', 'moving_variance']);

/**
 * A tfjs weight's short name (`kernel`, `moving_mean`), as the layer calls it.
 *
 * @example
 * shortWeightName('conv2d_Conv2D1/kernel'); // 'kernel'
 */
export function shortWeightName(originalName: string): string {
  return originalName.slice(originalName.lastIndexOf('/') + 1).replace(/_\d+$/, '');
}

/**
 * Whether the training-graph builder can train `model`, and if not the first layer that stops it and why:
 * a layer class it has no trainer for, an option its trainer does not cover, a frozen layer, or a model
 * that is not one image input and one `[batch, classes]` output.
 *
 * @example
 * checkTrainable(buildModel('classic', …)); // { trainable: true }
 * checkTrainable(modelWithLstm);
 * // { trainable: false, layer: 'lstm_1', className: 'LSTM', reason: "layer class 'LSTM' has no trainer" }
 */
export function checkTrainable(
  model: tf.LayersModel,
  registry: TrainerRegistry = createTrainerRegistry(),
): Trainability {
  const refuse = (layer: string, className: string, reason: string): Trainability => ({
    trainable: false,
    layer,
    className,
    reason,
  });
  if (model.inputs.length !== 1) {
    return refuse(
      model.name,
      'Model',
      `the model has ${model.inputs.length} inputs; the training step takes one image input`,
    );
  }
  if (model.outputs.length !== 1) {
    return refuse(
      model.name,
      'Model',
      `the model has ${model.outputs.length} outputs; the training step takes one`,
    );
  }
  const inputShape = model.inputs[0]!.shape;
  if (inputShape.slice(1).some((dim) => typeof dim !== 'number')) {
    return refuse(
      model.name,
      'Model',
      `its input shape [${inputShape.join(', ')}] has unknown sizes besides the batch`,
    );
  }
  const outputShape = model.outputs[0]!.shape;
  if (outputShape.length !== 2 || typeof outputShape[1] !== 'number') {
    return refuse(
      model.name,
      'Model',
      `its output must be [batch, classes], got [${outputShape.join(', ')}]`,
    );
  }
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (!registry.has(className)) {
      return refuse(layer.name, className, `layer class '${className}' has no trainer`);
    }
    if (!layer.trainable && layer.weights.length > 0) {
      return refuse(layer.name, className, 'the layer is frozen (trainable: false)');
    }
    for (const weight of layer.nonTrainableWeights) {
      if (!STATISTICS.has(shortWeightName(weight.originalName))) {
        return refuse(layer.name, className, `non-trainable weight '${weight.name}'`);
      }
    }
    const trainer = registry.get(className);
    const nodes = layer.inboundNodes as unknown as NodeLike[];
    const inputShapes = nodes[0]?.inputTensors.map((tensor) => tensor.shape) ?? [];
    const reason = trainer.check?.(layer.getConfig() as Record<string, unknown>, inputShapes) ?? null;
    if (reason !== null) return refuse(layer.name, className, reason);
  }
  return { trainable: true };
}

/**
 * Throws {@link UnsupportedLayerError} (naming the layer, the reason and the trainable classes) unless
 * {@link checkTrainable} accepts `model`.
 *
 * @example
 * assertTrainable(model); // throws: layer class 'LSTM' is not supported by the onnxruntime training engine (layer 'lstm_1': …); supported: …
 */
export function assertTrainable(
  model: tf.LayersModel,
  registry: TrainerRegistry = createTrainerRegistry(),
): void {
  const verdict = checkTrainable(model, registry);
  if (verdict.trainable) return;
  throw new UnsupportedLayerError({
    className: verdict.className,
    refusedBy: TRAINING_ENGINE,
    supported: registry.supported(),
    detail: `layer '${verdict.layer}': ${verdict.reason}`,
  });
}
