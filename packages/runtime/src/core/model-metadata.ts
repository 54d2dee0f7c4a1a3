/** Turns an ONNX file's cnnx metadata (or its absence) into how the runtime feeds and reads the model. */
import { type InputScale, parseInputScale } from '@cnnx/data/browser';
import type { ClassifierOptions, InputLayout, MetadataSource, ValueInfo } from '../types.js';

/** How the runtime reads a classifier: its image input, output, classes, layout and scaling. */
export interface ModelReading {
  input: ValueInfo;
  output: ValueInfo;
  classNames: string[];
  layout: InputLayout;
  scale: InputScale;
  image: { height: number; width: number; channels: number } | null;
  sources: { classNames: MetadataSource; layout: MetadataSource; scale: MetadataSource };
}

function parseClassNames(value: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new RangeError(
      `metadata cnnx.class_names must be a JSON array of strings, got '${value.slice(0, 80)}'`,
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((name) => typeof name === 'string')) {
    throw new RangeError(
      `metadata cnnx.class_names must be a JSON array of strings, got '${value.slice(0, 80)}'`,
    );
  }
  return parsed as string[];
}

function staticDim(value: number | string | undefined): number | null {
  return typeof value === 'number' && value > 0 ? value : null;
}

/**
 * Decides how to feed and read a model. Options win over metadata, metadata over defaults. Defaults for files
 * without cnnx metadata: NCHW when the input's dimension 1 is 1 or 3 (PyTorch's convention), else NHWC; class
 * names `'0'…'n-1'`; `unit` scaling.
 *
 * @example
 * readModelMetadata(summaryInputs, summaryOutputs, { 'cnnx.input_layout': 'nhwc' }, {});
 * // → { layout: 'nhwc', image: { height: 28, width: 28, channels: 1 }, classNames: ['0', …, '9'], … }
 */
export function readModelMetadata(
  inputs: ValueInfo[],
  outputs: ValueInfo[],
  metadata: Record<string, string>,
  options: Pick<ClassifierOptions, 'classNames' | 'inputLayout' | 'inputScale'>,
): ModelReading {
  const input = inputs[0];
  const output = outputs[0];
  if (!input || !output) throw new RangeError('the model has no inputs or no outputs');
  const sources: ModelReading['sources'] = { classNames: 'default', layout: 'default', scale: 'default' };

  let layout: InputLayout;
  const metaLayout = metadata['cnnx.input_layout'];
  if (options.inputLayout !== undefined) {
    if (options.inputLayout !== 'nhwc' && options.inputLayout !== 'nchw') {
      throw new RangeError(`'inputLayout' must be nhwc or nchw, got '${String(options.inputLayout)}'`);
    }
    layout = options.inputLayout;
    sources.layout = 'option';
  } else if (metaLayout !== undefined) {
    if (metaLayout !== 'nhwc' && metaLayout !== 'nchw') {
      throw new RangeError(`metadata cnnx.input_layout must be nhwc or nchw, got '${metaLayout}'`);
    }
    layout = metaLayout;
    sources.layout = 'metadata';
  } else {
    const dim1 = input.shape[1];
    layout = input.shape.length === 4 && (dim1 === 1 || dim1 === 3) ? 'nchw' : 'nhwc';
  }

  let image: ModelReading['image'] = null;
  if (input.shape.length === 4) {
    const [, a, b, c] = input.shape;
    const [height, width, channels] = layout === 'nhwc' ? [a, b, c] : [b, c, a];
    const h = staticDim(height);
    const w = staticDim(width);
    const ch = staticDim(channels);
    if (h !== null && w !== null && ch !== null) image = { height: h, width: w, channels: ch };
  } else if (input.shape.length === 3) {
    const h = staticDim(input.shape[1]);
    const w = staticDim(input.shape[2]);
    if (h !== null && w !== null) image = { height: h, width: w, channels: 1 };
  }

  let scale: InputScale = { kind: 'unit' };
  if (options.inputScale !== undefined) {
    scale = parseInputScale(options.inputScale, "'inputScale'");
    sources.scale = 'option';
  } else if (metadata['cnnx.input_scale'] !== undefined) {
    scale = parseInputScale(metadata['cnnx.input_scale'], 'metadata cnnx.input_scale');
    sources.scale = 'metadata';
  }

  const classCount = staticDim(output.shape[output.shape.length - 1]);
  let classNames: string[];
  if (options.classNames !== undefined) {
    classNames = options.classNames;
    sources.classNames = 'option';
  } else if (metadata['cnnx.class_names'] !== undefined) {
    classNames = parseClassNames(metadata['cnnx.class_names']);
    sources.classNames = 'metadata';
  } else {
    classNames = Array.from({ length: classCount ?? 0 }, (_, i) => String(i));
  }
  if (classCount !== null && classNames.length !== classCount) {
    throw new RangeError(
      `the model's output '${output.name}' has ${classCount} classes but ${sources.classNames === 'option' ? "'classNames'" : 'metadata cnnx.class_names'} lists ${classNames.length}`,
    );
  }
  return { input, output, classNames, layout, scale, image, sources };
}
