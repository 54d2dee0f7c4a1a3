import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE } from '../kernels/adam-update.js';

/** A moment tfjs's AdamOptimizer keeps per variable, named `<variable>/m` or `<variable>/v`. */
interface Moment {
  originalName: string;
  variable: tf.Variable;
}

/**
 * The fields of tfjs 4.22's AdamOptimizer that are `private` in its typings. The fused step
 * updates the same ones, so `getWeights`/`setWeights` (and checkpoints) stay tfjs's own.
 */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Moment[];
  accumulatedSecondMoment: Moment[];
}

/** Gradients by variable name, as `Optimizer.minimize` hands them over. */
type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * tfjs's Adam with one fused kernel per variable on the `wasm` backend: the moments and the new
 * weights in a single pass over the heap instead of about ten elementwise kernels, with the same
 * float32 results bit for bit. On other backends, or when cnnx's wasm kernels are not registered,
 * it is stock `tf.train.adam`. Its weights (the step count, then every `/m`, then every `/v`)
 * are stock Adam's, so checkpoints move freely between the two.
 *
 * @example
 * const optimizer = new FusedAdamOptimizer(0.001);
 * optimizer.minimize(() => loss(model), false, variables); // one CnnxAdamUpdate kernel per variable
 * (await optimizer.getWeights()).map((weight) => weight.name); // ['iter', 'conv/kernel/m', …, 'conv/kernel/v', …]
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  constructor(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
  }

  override applyGradients(variableGradients: VariableGradients): void {
    if (tf.getBackend() !== 'wasm' || tf.getKernel(ADAM_UPDATE, 'wasm') === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((named) => named.name)
      : Object.keys(variableGradients);
    tf.tidy(() => {
      names.forEach((name, index) => {
        const value = tf.engine().registeredVariables[name];
        if (value === undefined) throw new RangeError(`No variable named '${name}' to update.`);
        // Moments are made for every variable, even one without a gradient, as stock Adam does.
        state.accumulatedFirstMoment[index] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        state.accumulatedSecondMoment[index] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients)
          ? variableGradients[index]?.tensor
          : variableGradients[name];
        if (gradient == null) return;
        const firstMoment = state.accumulatedFirstMoment[index].variable;
        const secondMoment = state.accumulatedSecondMoment[index].variable;
        const [newValue, newFirstMoment, newSecondMoment] = tf.engine().runKernel(
          ADAM_UPDATE,
          {
            variable: value,
            gradient,
            firstMoment,
            secondMoment,
            accBeta1: state.accBeta1,
            accBeta2: state.accBeta2,
          },
          {
            learningRate: this.learningRate,
            beta1: this.beta1,
            beta2: this.beta2,
            epsilon: this.epsilon,
          },
        ) as tf.Tensor[];
        value.assign(newValue!);
        firstMoment.assign(newFirstMoment!);
        secondMoment.assign(newSecondMoment!);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}
