// Reading HDF5 with h5wasm (libhdf5 compiled to WebAssembly). The file's bytes are copied into h5wasm's
// in-memory file system, which holds nothing else while they are read: libhdf5 cannot reach the host's
// files at all, so an external link, external storage or a virtual dataset that names another file fails
// to resolve instead of reading it. Links out of the file are also refused by name before anything follows
// them. Everything between copying the bytes in and removing them runs synchronously, so no second file
// is ever in that file system at the same time.
import type * as H5 from 'h5wasm';
import { KerasFormatError } from './errors.js';

type H5wasm = typeof H5;

let loading: Promise<H5wasm> | undefined;

/** Imports h5wasm (about 4 MB of JavaScript and wasm) the first time a Keras file is read. */
function loadH5wasm(): Promise<H5wasm> {
  loading ??= import('h5wasm').then(async (module) => {
    await module.ready;
    return module;
  });
  return loading;
}

/** The largest dataset the reader copies out of a file (elements), whatever the file claims. */
export const MAX_DATASET_ELEMENTS = 256 * 1024 * 1024;

/** What sits at a path of an HDF5 file. */
export type Hdf5Kind = 'group' | 'dataset' | 'other';

/** Read access to one open HDF5 file; every path is absolute inside the file. */
export interface Hdf5File {
  /** The file's name for messages (a path, or `model.keras!model.weights.h5` inside a zip). */
  readonly file: string;
  /** What sits at `path`, or null when nothing does. Throws on a link that leaves the file. */
  kind(path: string): Hdf5Kind | null;
  /** The names in the group at `path`, in the file's order. */
  keys(path: string): string[];
  /** Attribute `name` of the object at `path`, or undefined when it has none. */
  attribute(path: string, name: string): unknown;
  /** The shape of the dataset at `path`. */
  shape(path: string): number[];
  /** The dataset at `path` as float32 values (float64 and integers are converted). */
  floats(path: string): Float32Array;
}

/**
 * The cause libhdf5 gives for an error, from the error stack that h5wasm's throwing handler puts in its
 * message: the deepest frame's text (for example "truncated file: eof = 1000, … stored_eof = 2048").
 */
function hdf5Cause(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const frames = [...text.matchAll(/#\d+: .* in [\w.]+\(\): (.*)$/gm)].map((match) => match[1]!.trim());
  return frames.at(-1) ?? text.split('\n')[0]!.trim();
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

let sequence = 0;

/**
 * Opens `bytes` as an HDF5 file, hands `read` an {@link Hdf5File} and closes and removes the file again,
 * whatever `read` does. libhdf5 errors become one-line {@link KerasFormatError}s naming `file`.
 *
 * @example
 * const version = await withHdf5File(bytes, 'mnist.h5', (h5) => h5.attribute('/', 'keras_version'));
 * // '2.3.1'
 */
export async function withHdf5File<T>(
  bytes: Uint8Array,
  file: string,
  read: (h5: Hdf5File) => T,
): Promise<T> {
  const h5wasm = await loadH5wasm();
  const module = h5wasm.Module;
  const fs = h5wasm.FS!;
  sequence += 1;
  const name = `/keras-${process.pid}-${sequence}.h5`;
  module.activate_throwing_error_handler();
  let opened: H5.File | undefined;
  try {
    fs.writeFile(name, bytes);
    try {
      opened = new h5wasm.File(name, 'r');
    } catch (error) {
      throw new KerasFormatError(file, `not a readable HDF5 file (${hdf5Cause(error)})`, { cause: error });
    }
    if (!(opened.file_id > 0n)) throw new KerasFormatError(file, 'not a readable HDF5 file');
    const fileId = opened.file_id;

    const refuseExternal = (path: string): void => {
      const link: { filename?: string; obj_path?: string } = module.get_external_link(fileId, path);
      if (typeof link.filename === 'string') {
        throw new KerasFormatError(
          file,
          `${path} is an external link to ${link.filename}:${link.obj_path ?? '/'}; ` +
            'the reader reads nothing outside the file',
        );
      }
    };

    const kind = (path: string): Hdf5Kind | null => {
      const parts = splitPath(path);
      let current = '';
      for (const [index, part] of parts.entries()) {
        const names = new h5wasm.Group(fileId, current === '' ? '/' : current).keys();
        if (!names.includes(part)) return null;
        current = `${current}/${part}`;
        refuseExternal(current);
        const type = module.get_type(fileId, current);
        if (type === module.H5G_UDLINK || type === module.H5G_LINK) return null;
        if (index < parts.length - 1 && type !== module.H5G_GROUP) return null;
        if (index === parts.length - 1) {
          if (type === module.H5G_GROUP) return 'group';
          if (type === module.H5G_DATASET) return 'dataset';
          return 'other';
        }
      }
      return 'group';
    };

    const expect = (path: string, wanted: Hdf5Kind): void => {
      const found = kind(path);
      if (found !== wanted) {
        throw new KerasFormatError(file, `${path}: expected a ${wanted}, found ${found ?? 'nothing'}`);
      }
    };

    const guarded = <R>(what: string, action: () => R): R => {
      try {
        return action();
      } catch (error) {
        if (error instanceof KerasFormatError) throw error;
        throw new KerasFormatError(file, `cannot read ${what} (${hdf5Cause(error)})`, { cause: error });
      }
    };

    const h5: Hdf5File = {
      file,
      kind: (path) => guarded(path, () => kind(path)),
      keys: (path) =>
        guarded(path, () => {
          expect(path, 'group');
          return new h5wasm.Group(fileId, path === '' ? '/' : path).keys();
        }),
      attribute: (path, attribute) =>
        guarded(`attribute '${attribute}' of ${path}`, () => {
          if (splitPath(path).length > 0 && kind(path) === null) return undefined;
          const names = module.get_attribute_names(fileId, path === '' ? '/' : path);
          if (!names.includes(attribute)) return undefined;
          return new h5wasm.Attribute(fileId, path === '' ? '/' : path, attribute).value;
        }),
      shape: (path) =>
        guarded(path, () => {
          expect(path, 'dataset');
          return new h5wasm.Dataset(fileId, path).shape ?? [];
        }),
      floats: (path) =>
        guarded(path, () => {
          expect(path, 'dataset');
          const dataset = new h5wasm.Dataset(fileId, path);
          const shape = dataset.shape ?? [];
          const count = shape.reduce((product, size) => product * size, 1);
          if (count > MAX_DATASET_ELEMENTS) {
            throw new KerasFormatError(
              file,
              `${path} claims ${count} values, more than the reader accepts (${MAX_DATASET_ELEMENTS})`,
            );
          }
          const metadata = dataset.metadata;
          if (metadata.type !== module.H5T_class_t.H5T_FLOAT.value && metadata.type !== 0) {
            throw new KerasFormatError(file, `${path} holds ${String(dataset.dtype)} values, not numbers`);
          }
          if (metadata.type === module.H5T_class_t.H5T_FLOAT.value && metadata.size === 2) {
            throw new KerasFormatError(file, `${path} holds float16 values; save the model in float32`);
          }
          const value = dataset.value;
          if (value instanceof Float32Array) return value;
          if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
            return Float32Array.from(value as ArrayLike<number | bigint>, Number);
          }
          if (typeof value === 'number') return Float32Array.of(value);
          throw new KerasFormatError(file, `${path} holds no numbers`);
        }),
    };
    return read(h5);
  } finally {
    try {
      opened?.close();
    } catch {
      // a file that failed half-way may refuse to close cleanly; it is removed below all the same
    }
    try {
      fs.unlink(name);
    } catch {
      // never written (writeFile failed)
    }
    module.deactivate_throwing_error_handler();
  }
}
