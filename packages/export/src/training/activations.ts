import { float, type GraphBuilder } from '../graph/graph-builder.js';
import { blockedSourceOf, reorderedChannels, reorderOutput } from './nchwc.js';
import { type Ops, perGraph } from './ops.js';

/** Per graph: the outputs of relu activations. */
const reluOutputs = perGraph<true>();
/**
 * Per graph: gradients that already are 0 wherever a relu output is 0, by name: that relu output, so the
 * relu's gradient can skip its mask.
 */
const reluMasked = perGraph<string>();

/**
 * Whether graph value `value` is the output of a relu activation (whose gradient is `dy · step(y)`).
 *
 * @example
 * isReluOutput(graph, conv.output); // true after applyTrainableActivation(ops, x, 'relu', 1)
 */
export function isReluOutput(graph: GraphBuilder, value: string): boolean {
  return reluOutputs(graph).has(value);
}

/**
 * Records that `gradient` (a gradient of relu output `value`) is already 0 wherever `value` is 0, so the
 * relu's gradient passes it on as it is. A max-pool can mask at its own, smaller size: its gradient reaches
 * only window maxima, where the relu's mask is `max > 0`.
 *
 * @example
 * markReluMasked(graph, poolGradient, conv.output);
 */
export function markReluMasked(graph: GraphBuilder, gradient: string, value: string): void {
  reluMasked(graph).set(gradient, value);
}

/**
 * The tfjs activations the training step differentiates: every one a cnnx model spec can name. Each
 * gradient is written as tfjs's cpu backend computes it (its gradient kernel or the chain of its ops), so
 * that a step agrees with tfjs to rounding.
 */
export const TRAINABLE_ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'tanh',
  'softmax',
  'swish',
] as const;

/** An activation applied in the forward pass, and its gradient. */
export interface ActivationStep {
  output: string;
  /** `dy` (gradient of the output) → gradient of the input. */
  backward(dy: string): string;
}

// tfjs's selu constants (tfjs-core selu_util).
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALE_ALPHA = 1.7580993408473768;

/**
 * Whether the training step can differentiate activation `name` (a tfjs config's `activation`).
 *
 * @example
 * isTrainableActivation('relu'); // true
 * isTrainableActivation('gelu'); // false
 */
export function isTrainableActivation(name: unknown): boolean {
  const value = name === null || name === undefined ? 'linear' : String(name);
  return (TRAINABLE_ACTIVATIONS as readonly string[]).includes(value);
}

/**
 * The relu step whose output `y` is already written (by a Relu, or by a Conv with the relu fused): its
 * gradient is `dy · step(y)`, tfjs's `step(x)` (1 where x > 0, else 0; Greater + Cast runs faster than Sign
 * here), skipped where a pool already masked `dy` ({@link markReluMasked}).
 *
 * @example
 * const relu = reluStep(ops, ops.node('Conv', [x, w], { activation: 'Relu', ... }, 'NchwcConv', NCHWC_DOMAIN));
 */
export function reluStep(ops: Ops, y: string): ActivationStep {
  reluOutputs(ops.graph).set(y, true);
  return {
    output: y,
    backward: (dy) => {
      if (reluMasked(ops.graph).get(dy) === y) return dy;
      const masked = (value: string, gradient: string) =>
        ops.mul(gradient, ops.cast(ops.node('Greater', [value, ops.scalar(0, 'zero')]), 'float32'));
      // Both in onnxruntime's channel blocks (a blocked Conv's output, a gradient a batch norm hands back in
      // blocks): masked there, and handed on in blocks, with no reorder either way.
      const channels = reorderedChannels(ops.graph, y);
      const blockedY = channels === undefined ? undefined : blockedSourceOf(ops.graph, y, channels);
      const blockedDy = channels === undefined ? undefined : blockedSourceOf(ops.graph, dy, channels);
      return blockedY !== undefined && blockedDy !== undefined
        ? reorderOutput(ops, masked(blockedY, blockedDy), channels!)
        : masked(y, dy);
    },
  };
}

/**
 * Adds tfjs activation `name` on `x` and returns its output and gradient. `axis` is the ONNX axis of
 * tfjs's last axis (softmax works on it).
 *
 * @example
 * const relu = applyTrainableActivation(ops, x, 'relu', 1);
 * const dx = relu.backward(dy); // dy · step(x), as tfjs's Relu gradient
 */
export function applyTrainableActivation(
  ops: Ops,
  x: string,
  activation: unknown,
  axis: number,
): ActivationStep {
  const name = activation === null || activation === undefined ? 'linear' : String(activation);
  switch (name) {
    case 'linear':
      return { output: x, backward: (dy) => dy };
    case 'relu':
      return reluStep(ops, ops.node('Relu', [x]));
    case 'relu6': {
      // tfjs-layers: minimum(6, relu(x)); autodiff passes dy where 0 < x < 6.
      const y = ops.node('Min', [ops.node('Relu', [x]), ops.scalar(6, 'six')]);
      return {
        output: y,
        backward: (dy) => {
          const below = ops.cast(ops.node('Less', [y, ops.scalar(6, 'six')]), 'float32');
          return ops.mul(dy, ops.mul(ops.node('Sign', [y]), below));
        },
      };
    }
    case 'elu': {
      const y = ops.node('Elu', [x], { alpha: float(1) });
      // tfjs's EluGrad: dy where y ≥ 0, else dy · (y + 1); min(y, 0) + 1 is that factor.
      return {
        output: y,
        backward: (dy) =>
          ops.mul(dy, ops.add(ops.node('Min', [y, ops.scalar(0, 'zero')]), ops.scalar(1, 'one'))),
      };
    }
    case 'selu': {
      const y = ops.node('Selu', [x], {
        alpha: float(SELU_SCALE_ALPHA / SELU_SCALE),
        gamma: float(SELU_SCALE),
      });
      return {
        output: y,
        backward: (dy) => {
          const positive = ops.node('Greater', [x, ops.scalar(0, 'zero')]);
          const above = ops.mul(dy, ops.scalar(SELU_SCALE, 'scale'));
          const below = ops.mul(
            ops.mul(dy, ops.scalar(SELU_SCALE_ALPHA, 'scale_alpha')),
            ops.node('Exp', [x]),
          );
          return ops.node('Where', [positive, above, below]);
        },
      };
    }
    case 'sigmoid': {
      const y = ops.node('Sigmoid', [x]);
      return {
        output: y,
        backward: (dy) => ops.mul(dy, ops.mul(y, ops.sub(ops.scalar(1, 'one'), y))),
      };
    }
    case 'tanh': {
      const y = ops.node('Tanh', [x]);
      return {
        output: y,
        backward: (dy) => ops.mul(ops.sub(ops.scalar(1, 'one'), ops.mul(y, y)), dy),
      };
    }
    case 'softmax': {
      const y = ops.node('Softmax', [x], { axis });
      return {
        output: y,
        backward: (dy) => {
          const dyTimesY = ops.mul(dy, y);
          return ops.sub(dyTimesY, ops.mul(ops.reduceSum(dyTimesY, [axis], true), y));
        },
      };
    }
    case 'swish': {
      // tfjs-layers: sigmoid(x) · x; autodiff: dy · s + dy · x · s · (1 − s).
      const s = ops.node('Sigmoid', [x]);
      const y = ops.mul(s, x);
      return {
        output: y,
        backward: (dy) => {
          const throughSigmoid = ops.mul(ops.mul(dy, x), ops.mul(s, ops.sub(ops.scalar(1, 'one'), s)));
          return ops.add(throughSigmoid, ops.mul(dy, s));
        },
      };
    }
    default:
      throw new RangeError(
        `activation '${name}' cannot be trained on onnxruntime; expected one of ${TRAINABLE_ACTIVATIONS.join(', ')}`,
      );
  }
}
