import * as tf from '@tensorflow/tfjs';
import { ModelSpecError } from '../errors.js';
import type { LayerSpec } from '../types.js';

/** Validates one option's value; returns what tfjs expects, or a description of what is accepted. */
type OptionRule = { accepted: string; parse: (value: unknown, context: LayerContext) => unknown };

/** What a layer factory gets besides its options. */
export interface LayerContext {
  /** The layer's display name in errors: `layers[3] "conv2d"`. */
  where: string;
  numClasses: number;
  /** A fresh seed for this layer's initialisers. */
  seed: number;
}

const positiveInteger: OptionRule = {
  accepted: 'a positive integer',
  parse: (value) => (Number.isInteger(value) && (value as number) > 0 ? value : undefined),
};
const unitsRule: OptionRule = {
  accepted: 'a positive integer or "classes"',
  parse: (value, context) =>
    value === 'classes' ? context.numClasses : positiveInteger.parse(value, context),
};
const sizeRule: OptionRule = {
  accepted: 'a positive integer or a pair of them, e.g. 3 or [3, 3]',
  parse: (value) => {
    if (Number.isInteger(value) && (value as number) > 0) return value;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((item) => Number.isInteger(item) && (item as number) > 0)
    ) {
      return value;
    }
    return undefined;
  },
};
const fractionRule: OptionRule = {
  accepted: 'a number from 0 (inclusive) to 1 (exclusive)',
  parse: (value) => (typeof value === 'number' && value >= 0 && value < 1 ? value : undefined),
};
const booleanRule: OptionRule = {
  accepted: 'true or false',
  parse: (value) => (typeof value === 'boolean' ? value : undefined),
};
const positiveNumber: OptionRule = {
  accepted: 'a positive number',
  parse: (value) => (typeof value === 'number' && value > 0 && Number.isFinite(value) ? value : undefined),
};
function oneOf(values: readonly string[]): OptionRule {
  return {
    accepted: values.join(', '),
    parse: (value) => (typeof value === 'string' && values.includes(value) ? value : undefined),
  };
}

/** Activations cnnx builds and the exporter converts. */
export const ACTIVATIONS = ['relu', 'relu6', 'elu', 'selu', 'sigmoid', 'tanh', 'softmax', 'linear', 'swish'];
const activationRule = oneOf(ACTIVATIONS);
const paddingRule = oneOf(['same', 'valid']);

interface LayerKind {
  /** The name used in specs (Keras's class name also works, case-insensitively). */
  type: string;
  required: Record<string, OptionRule>;
  optional: Record<string, OptionRule>;
  /** Whether the layer takes several inputs (a merge). */
  merge?: boolean;
  create: (options: Record<string, unknown>, context: LayerContext) => tf.layers.Layer;
}

const initialisers = (seed: number) => ({
  kernelInitializer: tf.initializers.glorotUniform({ seed }),
  biasInitializer: tf.initializers.zeros(),
});

const kinds: LayerKind[] = [
  {
    type: 'conv2d',
    required: { filters: positiveInteger, kernelSize: sizeRule },
    optional: {
      strides: sizeRule,
      padding: paddingRule,
      activation: activationRule,
      dilationRate: sizeRule,
      useBias: booleanRule,
    },
    create: (options, context) =>
      tf.layers.conv2d({
        ...(options as unknown as Parameters<typeof tf.layers.conv2d>[0]),
        ...initialisers(context.seed),
      }),
  },
  {
    type: 'dense',
    required: { units: unitsRule },
    optional: { activation: activationRule, useBias: booleanRule },
    create: (options, context) =>
      tf.layers.dense({
        ...(options as unknown as Parameters<typeof tf.layers.dense>[0]),
        ...initialisers(context.seed),
      }),
  },
  {
    type: 'maxPooling2d',
    required: {},
    optional: { poolSize: sizeRule, strides: sizeRule, padding: paddingRule },
    create: (options) => tf.layers.maxPooling2d(options as Parameters<typeof tf.layers.maxPooling2d>[0]),
  },
  {
    type: 'averagePooling2d',
    required: {},
    optional: { poolSize: sizeRule, strides: sizeRule, padding: paddingRule },
    create: (options) =>
      tf.layers.averagePooling2d(options as Parameters<typeof tf.layers.averagePooling2d>[0]),
  },
  {
    type: 'globalAveragePooling2d',
    required: {},
    optional: {},
    create: (options) => tf.layers.globalAveragePooling2d(options),
  },
  { type: 'flatten', required: {}, optional: {}, create: (options) => tf.layers.flatten(options) },
  {
    type: 'dropout',
    required: { rate: fractionRule },
    optional: {},
    create: (options, context) => tf.layers.dropout({ ...(options as { rate: number }), seed: context.seed }),
  },
  {
    type: 'batchNormalization',
    required: {},
    optional: { momentum: fractionRule, epsilon: positiveNumber },
    create: (options) =>
      tf.layers.batchNormalization({ axis: -1, ...(options as { momentum?: number; epsilon?: number }) }),
  },
  {
    type: 'activation',
    required: { activation: activationRule },
    optional: {},
    create: (options) =>
      tf.layers.activation(options as unknown as Parameters<typeof tf.layers.activation>[0]),
  },
  { type: 'add', required: {}, optional: {}, merge: true, create: (options) => tf.layers.add(options) },
  {
    type: 'concatenate',
    required: {},
    optional: {},
    merge: true,
    create: (options) => tf.layers.concatenate({ ...options, axis: -1 }),
  },
];

const kindsByKey = new Map(kinds.map((kind) => [normaliseType(kind.type), kind]));
kindsByKey.set('maxpool2d', kindsByKey.get('maxpooling2d')!);
kindsByKey.set('avgpool2d', kindsByKey.get('averagepooling2d')!);
kindsByKey.set('batchnorm', kindsByKey.get('batchnormalization')!);

function normaliseType(type: string): string {
  return type.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The layer types a spec may use. */
export const LAYER_TYPES: readonly string[] = kinds.map((kind) => kind.type);

/** Keys of a layer spec that are not options. */
const STRUCTURAL_KEYS = new Set(['type', 'name', 'inputs']);

/**
 * Checks a layer spec's type and options and returns its kind and the parsed options, or throws a
 * {@link ModelSpecError} naming the layer, the option and what is accepted.
 *
 * @example
 * resolveLayer({ type: 'conv2d', filters: 8, kernelSize: 3, padding: 'full' }, context);
 * // throws: model spec layers[0] "conv2d": option "padding" is "full"; expected same, valid
 */
export function resolveLayer(
  spec: LayerSpec,
  context: LayerContext,
): { kind: { type: string; merge: boolean }; create: () => tf.layers.Layer } {
  if (typeof spec !== 'object' || spec === null || typeof spec.type !== 'string') {
    throw new ModelSpecError(
      context.where,
      'type',
      `model spec ${context.where}: "type" must be one of ${LAYER_TYPES.join(', ')}`,
    );
  }
  const kind = kindsByKey.get(normaliseType(spec.type));
  if (kind === undefined) {
    throw new ModelSpecError(
      context.where,
      'type',
      `model spec ${context.where}: unknown layer type "${spec.type}"; accepted types: ${LAYER_TYPES.join(', ')}`,
    );
  }
  const rules = { ...kind.required, ...kind.optional };
  const accepted = Object.keys(rules);
  const options: Record<string, unknown> = {};
  for (const [option, value] of Object.entries(spec)) {
    if (STRUCTURAL_KEYS.has(option)) continue;
    const rule = rules[option];
    if (rule === undefined) {
      throw new ModelSpecError(
        context.where,
        option,
        `model spec ${context.where}: unknown option "${option}" for ${kind.type}; ` +
          (accepted.length ? `accepted options: ${accepted.join(', ')}` : `${kind.type} takes no options`),
      );
    }
    const parsed = rule.parse(value, context);
    if (parsed === undefined) {
      throw new ModelSpecError(
        context.where,
        option,
        `model spec ${context.where}: option "${option}" is ${JSON.stringify(value)}; expected ${rule.accepted}`,
      );
    }
    options[option] = parsed;
  }
  if (typeof spec.name === 'string' && spec.name !== '') options.name = spec.name;
  for (const option of Object.keys(kind.required)) {
    if (!(option in options)) {
      throw new ModelSpecError(
        context.where,
        option,
        `model spec ${context.where}: ${kind.type} needs option "${option}" (${kind.required[option]!.accepted})`,
      );
    }
  }
  return {
    kind: { type: kind.type, merge: kind.merge === true },
    create: () => kind.create(options, context),
  };
}
