import type { Ops } from '../ops.js';
import type { OptimizerSettings } from '../types.js';

/** The graph values an optimizer's update reads for one parameter. */
export interface UpdateInputs {
  value: string;
  gradient: string;
  /** The current value of each slot, by suffix. */
  slots: Record<string, string>;
  /** float32 scalars shared by every parameter. */
  learningRate: string;
  step: string;
}

/** One optimizer: its slots in tfjs's `getWeights()` order and the update it writes. */
export interface OptimizerConfig<Settings extends OptimizerSettings = OptimizerSettings> {
  name: Settings['name'];
  /** Every hyper-parameter with tfjs's (and `@cnnx/train`'s) defaults filled in; throws RangeError on bad values. */
  resolve(settings: Settings): Required<Settings>;
  /** Slot suffixes (`m`, `v`, …) in the order tfjs's `getWeights()` lists them, after `iter`. */
  slots(settings: Required<Settings>): string[];
  /**
   * Adds the update of one parameter; returns the new value and each slot's new value. `shared` holds
   * values computed once per step (Adam's bias corrections), built by `prepare`. The update must be
   * elementwise (no sums or norms over the parameter): small parameters are updated concatenated, as one.
   */
  update(
    ops: Ops,
    settings: Required<Settings>,
    inputs: UpdateInputs,
    shared: Record<string, string>,
  ): {
    value: string;
    slots: Record<string, string>;
  };
  /** Values every parameter's update shares, computed once per step. */
  prepare?(
    ops: Ops,
    settings: Required<Settings>,
    inputs: Pick<UpdateInputs, 'learningRate' | 'step'>,
  ): Record<string, string>;
}

/**
 * Checks a hyper-parameter: a finite number within `[min, max)` (or `[min, max]` with `inclusive`).
 *
 * @example
 * hyperParameter('beta1', 0.9, 0, 1); // 0.9
 * hyperParameter('beta1', 1.5, 0, 1); // throws RangeError: 'optimizer.beta1' must be in [0, 1); got 1.5
 */
export function hyperParameter(
  name: string,
  value: number,
  min: number,
  max: number,
  inclusive = false,
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    (inclusive ? value <= max : value < max);
  if (!ok)
    throw new RangeError(
      `'optimizer.${name}' must be in [${min}, ${max}${inclusive ? ']' : ')'}; got ${value}`,
    );
  return value;
}
