// The Keras layer classes the reader knows, and which of their config keys TensorFlow.js reads. A key
// listed in `fixed` is dropped when it holds its harmless value and refused otherwise (the layer would
// compute something TensorFlow.js cannot); `ignored` keys change only how Keras trains or runs in
// parallel; any other key is dropped and reported in the model's notes.

/** A JSON value as Keras configs hold them. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object as Keras configs hold them. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** How one Keras layer class maps to TensorFlow.js. */
export interface LayerRule {
  /** Config keys TensorFlow.js reads under the same name (after the common ones). */
  keys: readonly string[];
  /** Keys whose only supported value is the one given (dropped then). */
  fixed?: Readonly<Record<string, JsonValue>>;
  /** Keys dropped whatever their value. */
  ignored?: readonly string[];
  /** Keys renamed to what TensorFlow.js calls them (Keras 3 → tfjs). */
  renamed?: Readonly<Record<string, string>>;
}

/** Keys every layer may carry. */
export const COMMON_KEYS = ['name', 'trainable', 'dtype', 'batch_input_shape'] as const;

const INITIALIZED = (...names: string[]) =>
  names.flatMap((name) => [`${name}_initializer`, `${name}_regularizer`, `${name}_constraint`]);

const CONVOLUTION = ['kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'activation'];

const LORA = { lora_rank: null, lora_alpha: null, quantization_config: null } as const;

/** Every Keras layer class the reader turns into a TensorFlow.js layer. */
export const LAYER_RULES: Readonly<Record<string, LayerRule>> = {
  InputLayer: {
    keys: ['sparse'],
    fixed: { sparse: false, ragged: false, optional: false },
    renamed: { batch_shape: 'batch_input_shape' },
  },
  Conv2D: {
    keys: ['filters', ...CONVOLUTION, 'use_bias', ...INITIALIZED('kernel', 'bias'), 'activity_regularizer'],
    fixed: { groups: 1, ...LORA },
  },
  DepthwiseConv2D: {
    keys: [
      'depth_multiplier',
      ...CONVOLUTION,
      'use_bias',
      ...INITIALIZED('depthwise', 'bias'),
      'activity_regularizer',
    ],
    fixed: { groups: 1, filters: null, ...LORA },
    ignored: ['kernel_initializer', 'kernel_regularizer', 'kernel_constraint'],
  },
  SeparableConv2D: {
    keys: [
      'filters',
      'depth_multiplier',
      ...CONVOLUTION,
      'use_bias',
      ...INITIALIZED('depthwise', 'pointwise', 'bias'),
      'activity_regularizer',
    ],
    fixed: { groups: 1, ...LORA },
    ignored: ['kernel_initializer', 'kernel_regularizer', 'kernel_constraint'],
  },
  Dense: {
    keys: ['units', 'activation', 'use_bias', ...INITIALIZED('kernel', 'bias'), 'activity_regularizer'],
    fixed: LORA,
  },
  MaxPooling2D: { keys: ['pool_size', 'strides', 'padding', 'data_format'] },
  AveragePooling2D: { keys: ['pool_size', 'strides', 'padding', 'data_format'] },
  GlobalAveragePooling2D: { keys: ['data_format'], fixed: { keepdims: false } },
  GlobalMaxPooling2D: { keys: ['data_format'], fixed: { keepdims: false } },
  Flatten: { keys: ['data_format'] },
  Reshape: { keys: ['target_shape'] },
  Permute: { keys: ['dims'] },
  Dropout: { keys: ['rate', 'noise_shape', 'seed'] },
  GaussianNoise: { keys: ['stddev'], ignored: ['seed'] },
  GaussianDropout: { keys: ['rate'], ignored: ['seed'] },
  AlphaDropout: { keys: ['rate', 'noise_shape'], ignored: ['seed'] },
  Activation: { keys: ['activation'] },
  ReLU: { keys: ['max_value'], fixed: { negative_slope: 0, threshold: 0 } },
  LeakyReLU: { keys: ['alpha'], renamed: { negative_slope: 'alpha' } },
  ELU: { keys: [], fixed: { alpha: 1 } },
  PReLU: { keys: [...INITIALIZED('alpha'), 'shared_axes'] },
  Softmax: { keys: ['axis'] },
  BatchNormalization: {
    keys: [
      'axis',
      'momentum',
      'epsilon',
      'center',
      'scale',
      ...INITIALIZED('beta', 'gamma'),
      'moving_mean_initializer',
      'moving_variance_initializer',
    ],
    fixed: { renorm: false, virtual_batch_size: null, adjustment: null },
    ignored: ['synchronized', 'fused', 'renorm_clipping', 'renorm_momentum'],
  },
  LayerNormalization: {
    keys: [
      'axis',
      'epsilon',
      'center',
      'scale',
      'beta_initializer',
      'gamma_initializer',
      'beta_regularizer',
      'gamma_regularizer',
    ],
    fixed: { rms_scaling: false, beta_constraint: null, gamma_constraint: null },
  },
  Rescaling: { keys: ['scale', 'offset'] },
  ZeroPadding2D: { keys: ['padding', 'data_format'] },
  Cropping2D: { keys: ['cropping', 'data_format'] },
  UpSampling2D: { keys: ['size', 'data_format', 'interpolation'] },
  Add: { keys: [] },
  Multiply: { keys: [] },
  Average: { keys: [] },
  Maximum: { keys: [] },
  Minimum: { keys: [] },
  Concatenate: { keys: ['axis'] },
};

/**
 * The Keras layer classes the reader supports, sorted.
 *
 * @example
 * SUPPORTED_KERAS_LAYERS.includes('Conv2D'); // true
 * SUPPORTED_KERAS_LAYERS.includes('LSTM'); // false
 */
export const SUPPORTED_KERAS_LAYERS: readonly string[] = Object.keys(LAYER_RULES).sort();

/**
 * Keras activation names → TensorFlow.js's, for the activations both compute the same way. Keras 3's
 * `hard_sigmoid` (relu6(x + 3) / 6) differs from Keras 2's and TensorFlow.js's (0.2·x + 0.5), so it is
 * accepted only from Keras 2 files.
 */
export const ACTIVATION_NAMES: Readonly<Record<string, string>> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  selu: 'selu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  silu: 'swish',
  mish: 'mish',
  gelu: 'gelu',
};

/**
 * Keras's `to_snake_case` of a class name, which names a layer's folder in a Keras 3 weights file
 * (`layers/<snake_case class>[_N]/vars`).
 *
 * @example
 * snakeCase('Conv2D'); // 'conv2d'
 * snakeCase('BatchNormalization'); // 'batch_normalization'
 * snakeCase('LeakyReLU'); // 'leaky_re_lu'
 */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
