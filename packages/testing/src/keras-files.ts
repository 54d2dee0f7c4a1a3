// Writes small Keras model files for the Keras reader's and the CLI's tests: legacy HDF5 as Keras 2 / Keras 3 save them, and
// Keras 3 `.keras` zips, with h5wasm (libhdf5 in wasm, writing to its in-memory file system) and fflate.
import { strToU8, zipSync } from 'fflate';
import h5wasm, { type File as H5File, type Group as H5Group } from 'h5wasm';

/** A JSON value in a Keras config. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One weight array: its name (legacy files), shape and values. */
export interface TestWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/**
 * A seeded source of floats in [0, 1): `@cnnx/data`'s `createRandom(seed)` fits. The caller passes it in,
 * because @cnnx/data's own tests use this workspace and a dependency back on it would be a cycle.
 */
export interface FloatSource {
  next(): number;
}

/**
 * Seeded values in [-scale, scale) for a weight of `shape`.
 *
 * @example
 * randomWeight('dense/kernel:0', [16, 3], createRandom(1)).values.length; // 48
 */
export function randomWeight(name: string, shape: number[], random: FloatSource, scale = 0.5): TestWeight {
  const count = shape.reduce((product, size) => product * size, 1);
  const values = new Float32Array(count);
  for (let index = 0; index < count; index += 1) values[index] = (random.next() * 2 - 1) * scale;
  return { name, shape, values };
}

/**
 * Seeded values in [low, high) (for batch norm's moving variance, which must stay positive).
 *
 * @example
 * positiveWeight('moving_variance:0', [8], createRandom(3)).values.every((value) => value >= 0.5); // true
 */
export function positiveWeight(
  name: string,
  shape: number[],
  random: FloatSource,
  low = 0.5,
  high = 1.5,
): TestWeight {
  const weight = randomWeight(name, shape, random, 1);
  for (let index = 0; index < weight.values.length; index += 1) {
    weight.values[index] = low + ((weight.values[index]! + 1) / 2) * (high - low);
  }
  return weight;
}

/**
 * The bytes of an HDF5 file that `write` fills (with h5wasm, in memory).
 *
 * @example
 * const bytes = await hdf5Bytes((file) => file.create_attribute('note', 'hello')); // starts with \x89HDF
 */
export async function hdf5Bytes(write: (file: H5File) => void): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const name = `/test-${process.pid}-${Math.random().toString(36).slice(2)}.h5`;
  const file = new h5wasm.File(name, 'w');
  try {
    write(file);
  } finally {
    file.close();
  }
  const bytes = FS!.readFile(name);
  FS!.unlink(name);
  return bytes;
}

function createGroups(file: H5File, path: string): void {
  let current = '';
  for (const part of path.split('/').filter(Boolean)) {
    current = `${current}/${part}`;
    if (file.get(current) === null) file.create_group(current.slice(1));
  }
}

function writeDataset(file: H5File, path: string, weight: TestWeight): void {
  createGroups(file, path.slice(0, path.lastIndexOf('/')));
  file.create_dataset({ name: path.slice(1), data: weight.values, shape: weight.shape, dtype: '<f' });
}

/** What a legacy HDF5 model file holds. */
export interface LegacyFile {
  modelConfig: Json | string | undefined;
  /** Layer name → its weights, named as `weight_names` lists them (`dense/kernel:0`). */
  weights: Record<string, TestWeight[]>;
  kerasVersion?: string;
  backend?: string;
  /** Called with the open file before it is closed, to add links and other oddities. */
  extra?: (file: H5File) => void;
}

/**
 * The bytes of a legacy HDF5 model file as `model.save('x.h5')` writes it: root attributes
 * `model_config`, `keras_version`, `backend`, and `model_weights/<layer>/<weight name>` datasets listed
 * by each layer group's `weight_names`.
 *
 * @example
 * await writeFile('small.h5', await legacyH5({ modelConfig, weights: { dense: [kernel, bias] } }));
 */
export function legacyH5(spec: LegacyFile): Promise<Uint8Array> {
  return hdf5Bytes((file) => {
    if (spec.modelConfig !== undefined) {
      const text = typeof spec.modelConfig === 'string' ? spec.modelConfig : JSON.stringify(spec.modelConfig);
      file.create_attribute('model_config', text);
    }
    file.create_attribute('keras_version', spec.kerasVersion ?? '2.3.1');
    file.create_attribute('backend', spec.backend ?? 'tensorflow');
    file.create_group('model_weights');
    const layerNames = Object.keys(spec.weights);
    if (layerNames.length > 0)
      (file.get('model_weights') as H5Group).create_attribute('layer_names', layerNames);
    for (const [layer, weights] of Object.entries(spec.weights)) {
      const group = file.create_group(`model_weights/${layer}`);
      if (weights.length > 0) {
        group.create_attribute(
          'weight_names',
          weights.map((weight) => weight.name),
        );
      }
      for (const weight of weights) writeDataset(file, `/model_weights/${layer}/${weight.name}`, weight);
    }
    spec.extra?.(file);
  });
}

/** What a Keras 3 `.keras` zip holds. */
export interface KerasZip {
  config: Json | undefined;
  /** Folder (`conv2d`, `conv2d_1`, …) → the layer's variables in order (names unused). */
  vars: Record<string, TestWeight[]>;
  kerasVersion?: string;
  /** Leave model.weights.h5 out. */
  withoutWeights?: boolean;
}

/**
 * The bytes of a Keras 3 `.keras` zip: config.json, metadata.json and model.weights.h5.
 *
 * @example
 * await writeFile('small.keras', await kerasZip({ config, vars: { dense: [kernel, bias] } }));
 */
export async function kerasZip(spec: KerasZip): Promise<Uint8Array> {
  const weights = await hdf5Bytes((file) => {
    file.create_group('layers');
    for (const [folder, vars] of Object.entries(spec.vars)) {
      file.create_group(`layers/${folder}`);
      file.create_group(`layers/${folder}/vars`);
      for (const [index, weight] of vars.entries())
        writeDataset(file, `/layers/${folder}/vars/${index}`, weight);
    }
    file.create_group('optimizer');
  });
  const entries: Record<string, Uint8Array> = {
    'metadata.json': strToU8(
      JSON.stringify({ keras_version: spec.kerasVersion ?? '3.5.0', date_saved: 'x' }),
    ),
  };
  if (spec.config !== undefined) entries['config.json'] = strToU8(JSON.stringify(spec.config));
  if (!spec.withoutWeights) entries['model.weights.h5'] = weights;
  return zipSync(entries);
}

// Layer entries as each Keras writes them.

const POLICY: Json = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};

/**
 * A Keras 2 layer entry: `{class_name, config}`.
 *
 * @example
 * keras2Layer('Dense', { name: 'dense', units: 10 }); // { class_name: 'Dense', config: { trainable: true, dtype: 'float32', … } }
 */
export function keras2Layer(className: string, config: Record<string, Json>): Json {
  return { class_name: className, config: { trainable: true, dtype: 'float32', ...config } };
}

/**
 * Wraps initializer-like objects the way Keras 3 serializes them.
 *
 * @example
 * keras3Object('keras.initializers', 'Zeros'); // { module, class_name: 'Zeros', config: {}, registered_name: null }
 */
export function keras3Object(module: string, className: string, config: Record<string, Json> = {}): Json {
  return { module, class_name: className, config, registered_name: null };
}

/**
 * A Keras 3 layer entry: module, class_name, config with a dtype policy, registered_name.
 *
 * @example
 * keras3Layer('Flatten', { name: 'flatten' }); // { module: 'keras.layers', class_name: 'Flatten', … }
 */
export function keras3Layer(className: string, config: Record<string, Json>): Json {
  return {
    module: 'keras.layers',
    class_name: className,
    config: { trainable: true, dtype: POLICY, ...config },
    registered_name: null,
  };
}

/**
 * A Keras 3 functional layer: the layer entry plus `name` and its call's `inbound_nodes`.
 *
 * @example
 * keras3Node('Dense', { name: 'out', units: 10 }, ['flatten']); // inbound_nodes: [{ args: [keras tensor], kwargs: {} }]
 */
export function keras3Node(className: string, config: Record<string, Json>, inputs: string[]): Json {
  const tensors = inputs.map((name) => ({
    class_name: '__keras_tensor__',
    config: { shape: [null], dtype: 'float32', keras_history: [name, 0, 0] },
  }));
  const layer = keras3Layer(className, config) as Record<string, Json>;
  return {
    ...layer,
    name: config.name as string,
    inbound_nodes:
      inputs.length === 0 ? [] : [{ args: tensors.length === 1 ? tensors : [tensors], kwargs: {} }],
  };
}

/**
 * A Keras 2 functional layer: the entry plus `name` and `inbound_nodes` lists.
 *
 * @example
 * keras2Node('Dense', { name: 'out', units: 10 }, ['flatten']); // inbound_nodes: [[['flatten', 0, 0, {}]]]
 */
export function keras2Node(className: string, config: Record<string, Json>, inputs: string[]): Json {
  const layer = keras2Layer(className, config) as Record<string, Json>;
  return {
    ...layer,
    name: config.name as string,
    inbound_nodes: inputs.length === 0 ? [] : [inputs.map((name) => [name, 0, 0, {}])],
  };
}
