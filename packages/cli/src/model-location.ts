import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Classifier, type ClassifierOptions } from '@cnnx/runtime';
import { CliError, describeError } from './errors.js';

/** Where `--model` points: a tfjs model folder or an ONNX file. */
export type ModelLocation = { kind: 'tfjs'; dir: string } | { kind: 'onnx'; file: string };

/**
 * Resolves `--model`: an `.onnx` file, a folder holding `model.json`, or a run folder holding
 * `model/model.json` (preferred) or `model.onnx`.
 *
 * @example
 * await locateModel('runs/quickstart'); // { kind: 'tfjs', dir: '/…/runs/quickstart/model' }
 */
export async function locateModel(path: string): Promise<ModelLocation> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => undefined);
  if (!info)
    throw new CliError(`--model ${path} does not exist; expected a tfjs model folder or an .onnx file`);
  if (info.isFile()) {
    if (absolute.toLowerCase().endsWith('.onnx')) return { kind: 'onnx', file: absolute };
    if (absolute.endsWith('model.json')) return { kind: 'tfjs', dir: resolve(absolute, '..') };
    throw new CliError(`--model ${path} is a file but not an .onnx file or a tfjs model.json`);
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
