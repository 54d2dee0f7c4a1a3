// Where each layer's weights sit in a Keras file. Legacy HDF5: `model_weights/<layer name>` lists its
// datasets in the attribute `weight_names` (`conv2d/kernel:0` in Keras 2, `conv2d/kernel` or
// `sequential/conv2d/kernel` in Keras 3's legacy writer). Keras 3 `.keras`: `layers/<snake_case class>[_N]/
// vars/<i>`, where N counts the earlier layers of the same class (from 1), whatever the layers' names.
import type { KerasLayerInfo } from './config.js';
import { KerasFormatError } from './errors.js';
import type { Hdf5File } from './hdf5.js';
import { snakeCase } from './layers.js';

/** One weight array read from the file. */
export interface FileWeight {
  /** Its path inside the HDF5 file. */
  path: string;
  shape: number[];
  values: Float32Array;
}

/** A layer's weights in the file, in the order Keras saved them. */
export interface LayerWeights {
  /** The group that holds them (or would). */
  group: string;
  /** Null when the file has no group for the layer. */
  weights: FileWeight[] | null;
}

/**
 * An attribute that Keras may have split into `name0`, `name1`, … when it was too large for one HDF5
 * attribute, as a list of strings.
 */
function stringList(h5: Hdf5File, path: string, name: string): string[] {
  let value = h5.attribute(path, name);
  if (value === undefined) {
    const chunks: unknown[] = [];
    for (let index = 0; ; index += 1) {
      const chunk = h5.attribute(path, `${name}${index}`);
      if (chunk === undefined) break;
      chunks.push(...(Array.isArray(chunk) ? chunk : [chunk]));
    }
    value = chunks;
  }
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.map((item) => (item instanceof Uint8Array ? new TextDecoder().decode(item) : String(item)));
}

function readWeight(h5: Hdf5File, path: string): FileWeight {
  const shape = h5.shape(path);
  return { path, shape, values: h5.floats(path) };
}

/**
 * The weights of each layer of a legacy HDF5 model file (`model_weights/<layer>` with `weight_names`).
 *
 * @example
 * const weights = readLegacyWeights(h5, [{ name: 'conv2d_1', className: 'Conv2D' }]);
 * weights.get('conv2d_1')?.weights?.map((weight) => weight.shape); // [[3, 3, 1, 32], [32]]
 */
export function readLegacyWeights(
  h5: Hdf5File,
  layers: readonly KerasLayerInfo[],
): Map<string, LayerWeights> {
  if (h5.kind('/model_weights') !== 'group') {
    throw new KerasFormatError(h5.file, 'missing weights: the file has no model_weights group');
  }
  const found = new Map<string, LayerWeights>();
  for (const layer of layers) {
    const group = `/model_weights/${layer.name}`;
    if (h5.kind(group) !== 'group') {
      found.set(layer.name, { group, weights: null });
      continue;
    }
    const names = stringList(h5, group, 'weight_names');
    const weights = names.map((name) => {
      const path = `${group}/${name}`;
      if (h5.kind(path) !== 'dataset') {
        throw new KerasFormatError(
          h5.file,
          `missing weights: layer '${layer.name}' lists weight '${name}' but ${path} is not in the file`,
        );
      }
      return readWeight(h5, path);
    });
    found.set(layer.name, { group, weights });
  }
  return found;
}

/**
 * The weights of each layer of a Keras 3 weights file (`model.weights.h5` inside a `.keras` zip), found by
 * class and order: the first Conv2D's under `layers/conv2d/vars`, the second's under `layers/conv2d_1/vars`.
 *
 * @example
 * const weights = readKeras3Weights(h5, [{ name: 'conv2d_12', className: 'Conv2D' }]);
 * weights.get('conv2d_12')?.group; // '/layers/conv2d/vars'
 */
export function readKeras3Weights(
  h5: Hdf5File,
  layers: readonly KerasLayerInfo[],
): Map<string, LayerWeights> {
  if (h5.kind('/layers') !== 'group') {
    throw new KerasFormatError(h5.file, 'missing weights: the weights file has no layers group');
  }
  const seen = new Map<string, number>();
  const found = new Map<string, LayerWeights>();
  for (const layer of layers) {
    const base = snakeCase(layer.className);
    const count = seen.get(base);
    seen.set(base, count === undefined ? 0 : count + 1);
    const folder = count === undefined ? base : `${base}_${count + 1}`;
    const group = `/layers/${folder}/vars`;
    if (h5.kind(group) !== 'group') {
      found.set(layer.name, { group, weights: null });
      continue;
    }
    const names = h5.keys(group);
    const weights: FileWeight[] = [];
    for (let index = 0; names.includes(String(index)); index += 1) {
      weights.push(readWeight(h5, `${group}/${index}`));
    }
    if (weights.length !== names.length) {
      throw new KerasFormatError(
        h5.file,
        `${group} holds ${names.join(', ')}; expected datasets numbered 0 to ${names.length - 1}`,
      );
    }
    found.set(layer.name, { group, weights });
  }
  return found;
}
