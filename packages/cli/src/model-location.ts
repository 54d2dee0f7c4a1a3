import { open, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Classifier, type ClassifierOptions } from '@cnnx/runtime';
// the Keras file test alone, without TensorFlow.js: an ONNX file's commands never load tfjs
import { detectKerasFile } from '@cnnx/train/keras-format';
import { CliError, describeError } from './errors.js';
import { KERAS_FILE_NAME } from './layers-model.js';

/**
 * Where `--model` points: a tfjs model folder, an ONNX file, or a Keras file (`.h5` or `.keras`, kept as the
 * user wrote it, so that the Keras reader's messages name it so).
 */
export type ModelLocation =
  | { kind: 'tfjs'; dir: string }
  | { kind: 'onnx'; file: string }
  | { kind: 'keras'; file: string };

/** The first bytes of a file in hex, for a message about what it is not. */
async function firstBytes(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead === 0) return 'nothing (an empty file)';
    return Array.from(head.subarray(0, bytesRead), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  } finally {
    await handle.close();
  }
}

/**
 * Resolves `--model`: a Keras file (told by its first bytes, whatever its name; or named `.h5`/`.keras`), an
 * `.onnx` file, a folder holding `model.json`, or a run folder holding `model/model.json` (preferred) or
 * `model.onnx`.
 *
 * @example
 * await locateModel('runs/quickstart'); // { kind: 'tfjs', dir: '/…/runs/quickstart/model' }
 * await locateModel('mnist.keras');     // { kind: 'keras', file: 'mnist.keras' }
 */
export async function locateModel(path: string): Promise<ModelLocation> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) {
    throw new CliError(
      `--model ${path} does not exist; expected a tfjs model folder, an .onnx file or a Keras .h5/.keras file`,
    );
  }
  if (info.isFile()) {
    if ((await detectKerasFile(absolute)) !== null) return { kind: 'keras', file: path };
    if (absolute.toLowerCase().endsWith('.onnx')) return { kind: 'onnx', file: absolute };
    if (absolute.endsWith('model.json')) return { kind: 'tfjs', dir: resolve(absolute, '..') };
    if (KERAS_FILE_NAME.test(absolute)) return { kind: 'keras', file: path };
    const start = await firstBytes(absolute).catch(() => 'bytes that cannot be read');
    throw new CliError(
      `--model ${path} is a file but not an .onnx file or a tfjs model.json, nor a Keras .h5/.keras file (it starts with ${start})`,
    );
  }
  const candidates: ModelLocation[] = [
    { kind: 'tfjs', dir: absolute },
    { kind: 'tfjs', dir: join(absolute, 'model') },
    { kind: 'onnx', file: join(absolute, 'model.onnx') },
  ];
  const looked: string[] = [];
  for (const candidate of candidates) {
    const file = candidate.kind === 'tfjs' ? join(candidate.dir, 'model.json') : candidate.file;
    looked.push(file);
    if ((await stat(file).catch(() => undefined))?.isFile()) return candidate;
  }
  throw new CliError(`--model ${path} holds no model: looked for ${looked.join(', ')}`);
}

/**
 * The error of a command that runs ONNX files only (`cnnx serve`, `cnnx bench`) when `--model` is a tfjs or
 * Keras model: it says how to make the ONNX file.
 *
 * @example
 * throw onnxOnly('mnist.h5', 'keras', 'serve');
 * // cnnx: --model mnist.h5 is a Keras file; cnnx serve runs an .onnx file: make one with cnnx export --model mnist.h5 --out model.onnx
 */
export function onnxOnly(path: string, kind: 'tfjs' | 'keras', command: string): CliError {
  return new CliError(
    `--model ${path} is ${kind === 'keras' ? 'a Keras file' : 'a tfjs model'}; cnnx ${command} runs an .onnx file: make one with cnnx export --model ${path} --out model.onnx`,
  );
}

/**
 * Throws {@link onnxOnly}'s error when `file` is a Keras file (told by its bytes), for commands that take an
 * ONNX file's path as it is.
 *
 * @example
 * await refuseKerasFile('mnist.keras', 'serve'); // throws: … cnnx serve runs an .onnx file: make one with cnnx export …
 */
export async function refuseKerasFile(file: string, command: string): Promise<void> {
  if ((await detectKerasFile(file)) !== null) throw onnxOnly(file, 'keras', command);
}

/**
 * Loads an ONNX file given as `--model` into a Classifier; a failure is one CliError line that names the file.
 *
 * @example
 * const classifier = await loadClassifier('/…/model.onnx', 'runs/quickstart', { device: 'cpu' });
 */
export async function loadClassifier(
  file: string,
  flag: string,
  options: ClassifierOptions,
): Promise<Classifier> {
  try {
    return await Classifier.load(file, options);
  } catch (error) {
    const message = describeError(error);
    throw new CliError(message.includes(file) ? message : `--model ${flag}: ${message}`, { cause: error });
  }
}
