import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  type Dataset,
  type InputScale,
  loadDataset,
  parseInputScale,
  subset,
  toFloat32,
  writeFolderAtomic,
} from '@cnnx/data';
import {
  assertVerified,
  type ExportOptions,
  exportToOnnx,
  ModelFormatError,
  readOnnx,
  SUPPORTED_OPSETS,
  tritonConfig,
  UnsupportedLayerError,
  VerificationError,
  type VerificationResult,
  verifyOnnx,
} from '@cnnx/export';
import { initBackend, loadModel } from '@cnnx/train';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { printJson, say, writeFileAtomic } from '../io.js';
import { choice, integer } from '../options.js';

interface ExportFlags {
  model?: string;
  out?: string;
  opset: number;
  inputLayout: 'nhwc' | 'nchw';
  quantize?: 'fp16' | 'int8';
  calibration?: string;
  calibrationCount: number;
  calibrationMethod: 'minmax' | 'percentile';
  classNames?: string;
  inputScale?: string;
  runId?: string;
  verify: boolean;
  triton?: string;
  tritonName?: string;
  json?: boolean;
}

/** The manifest.json cnnx writes next to a saved model (optional: plain tfjs folders have none). */
async function readModelManifest(
  dir: string,
): Promise<{ classNames?: string[]; runId?: string; inputScale?: string }> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    return {};
  }
  try {
    const manifest = JSON.parse(text) as Record<string, unknown>;
    const classNames = Array.isArray(manifest.classNames) ? manifest.classNames.map(String) : undefined;
    return {
      ...(classNames ? { classNames } : {}),
      ...(typeof manifest.runId === 'string' ? { runId: manifest.runId } : {}),
      ...(typeof manifest.inputScale === 'string' ? { inputScale: manifest.inputScale } : {}),
    };
  } catch {
    throw new CliError(`${join(dir, 'manifest.json')}: not valid JSON`);
  }
}

function inputScale(text: string): InputScale {
  try {
    return parseInputScale(text, '--input-scale');
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

async function writeTriton(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const target = resolve(dir, name);
  await writeFolderAtomic(target, { 'config.pbtxt': tritonConfig(bytes, name), '1/model.onnx': bytes });
  return target;
}

function describe(result: VerificationResult, what: string): string {
  return `verified on ${result.samples} ${what}: max |Δ| ${result.maxAbsDiff.toExponential(2)}, class agreement ${(result.agreement * 100).toFixed(2)}%`;
}

async function runExport(flags: ExportFlags): Promise<void> {
  if (!flags.model) throw new UsageError('--model DIR is required (a tfjs model folder with model.json)');
  if (!flags.out) throw new UsageError('--out FILE.onnx is required');
  if (flags.quantize === 'int8' && !flags.calibration) {
    throw new UsageError('--quantize int8 needs --calibration SPEC (images to calibrate activations on)');
  }
  if (flags.opset < SUPPORTED_OPSETS.min || flags.opset > SUPPORTED_OPSETS.max) {
    throw new CliError(
      `--opset ${flags.opset} is not supported; expected an opset from ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max}`,
    );
  }
  const out = resolve(flags.out);
  const manifest = await readModelManifest(flags.model);
  const scaleText = flags.inputScale ?? manifest.inputScale ?? 'unit';
  const scale = inputScale(scaleText);
  const classNames = flags.classNames ? flags.classNames.split(',') : manifest.classNames;
  const runId = flags.runId ?? manifest.runId;

  const model = await loadModel(flags.model);
  if (flags.verify) {
    // tfjs runs the reference predictions: the fastest backend that loads here (wasm without tfjs-node).
    const backend = await initBackend('auto');
    say(`tfjs backend for verification: ${backend.name}`);
  }
  // --calibration SPEC: its train split calibrates int8, its test split checks the export.
  let calibration: Float32Array | undefined;
  let images: { values: Float32Array; count: number } | undefined;
  if (flags.calibration) {
    const spread = (dataset: Dataset, count: number): Float32Array => {
      const n = Math.min(count, dataset.count);
      const picked = Array.from({ length: n }, (_, index) => Math.floor((index * dataset.count) / n));
      return toFloat32(subset(dataset, picked).images, { scale });
    };
    const train = await loadDataset(flags.calibration, { split: 'train' });
    const test = await loadDataset(flags.calibration, { split: 'test' });
    const size = train.shape[0] * train.shape[1] * train.shape[2];
    const expected = model.inputs[0]?.shape
      .slice(1)
      .reduce<number>((product, dim) => product * (dim ?? 1), 1);
    if (model.inputs.length !== 1 || expected !== size) {
      throw new CliError(
        `--calibration ${flags.calibration}: images are ${train.shape.join('×')} but the model takes ${model.inputs[0]?.shape.slice(1).join('×')}`,
      );
    }
    calibration = spread(train, flags.calibrationCount);
    const values = spread(test, 1000);
    images = { values, count: values.length / size };
    say(
      `${flags.calibration}: ${calibration.length / size} training images calibrate, ${images.count} test images verify`,
    );
  }
  const options: ExportOptions = {
    opset: flags.opset,
    inputLayout: flags.inputLayout,
    inputScale: scaleText,
    ...(flags.quantize ? { quantize: flags.quantize } : {}),
    ...(classNames ? { classNames } : {}),
    ...(runId ? { runId } : {}),
    ...(calibration ? { calibration, calibrationMethod: flags.calibrationMethod } : {}),
  };
  const bytes = await exportToOnnx(model, options);

  const verification: Record<string, VerificationResult> = {};
  if (flags.verify) {
    const random = await verifyOnnx(bytes, model);
    verification.random = random;
    say(describe(random, 'random inputs'));
    if (!flags.quantize) assertVerified(random, { maxAbsDiff: 1e-4 });
    if (images) {
      const onImages = await verifyOnnx(bytes, model, { values: [images.values], count: images.count });
      verification.images = onImages;
      say(describe(onImages, 'dataset images'));
      if (flags.quantize) assertVerified(onImages, { maxAbsDiff: Number.POSITIVE_INFINITY, agreement: 0.99 });
      else assertVerified(onImages, { maxAbsDiff: 1e-4 });
    } else if (flags.quantize === 'fp16') {
      assertVerified(random, { maxAbsDiff: 1e-2, agreement: 0.9 });
    }
  }
  await writeFileAtomic(out, bytes);
  const info = readOnnx(bytes);
  say(
    `wrote ${flags.out} (${(bytes.byteLength / 1024).toFixed(0)} KiB, opset ${info.opset}, ${info.nodeCount} nodes${flags.quantize ? `, ${flags.quantize}` : ''})`,
  );
  let tritonPath: string | undefined;
  if (flags.triton) {
    const name =
      flags.tritonName ??
      basename(out)
        .replace(/\.onnx$/i, '')
        .replace(/[^A-Za-z0-9_.-]/g, '_');
    tritonPath = await writeTriton(flags.triton, name, bytes);
    say(`wrote Triton model repository entry ${join(flags.triton, name)}/{config.pbtxt, 1/model.onnx}`);
  }
  model.dispose();
  if (flags.json) {
    printJson({ out: flags.out, bytes: bytes.byteLength, ...info, verification, triton: tritonPath ?? null });
  }
}

/** `cnnx export`: a saved tfjs Layers model folder → an ONNX file, verified against tfjs. */
export function register(program: Command, _context: CliContext): void {
  program
    .command('export')
    .description('export a tfjs Layers model folder to ONNX, checked against tfjs with onnxruntime-node')
    .option('--model <dir>', 'tfjs model folder (model.json + weight shards)')
    .option('--out <file>', 'ONNX file to write')
    .option('--opset <n>', 'ONNX opset (13-21)', integer('--opset'), 17)
    .option(
      '--input-layout <layout>',
      'input layout',
      choice('--input-layout', ['nhwc', 'nchw'] as const),
      'nhwc',
    )
    .option(
      '--quantize <mode>',
      'fp16 weights or int8 static QDQ',
      choice('--quantize', ['fp16', 'int8'] as const),
    )
    .option(
      '--calibration <spec>',
      'dataset spec: its train images calibrate int8, its test images verify (e.g. mnist-sample)',
    )
    .option(
      '--calibration-count <n>',
      'how many calibration images',
      integer('--calibration-count', { min: 1 }),
      500,
    )
    .option(
      '--calibration-method <method>',
      'activation ranges from calibration',
      choice('--calibration-method', ['minmax', 'percentile'] as const),
      'minmax',
    )
    .option('--class-names <list>', 'comma-separated class names (default: from manifest.json)')
    .option('--input-scale <scale>', 'unit, none or standard:MEAN:STD (default: manifest.json, else unit)')
    .option('--run-id <id>', 'training run id (default: from manifest.json)')
    .option('--no-verify', 'skip the onnxruntime-node vs tfjs check')
    .option('--triton <dir>', 'also write a Triton model repository entry under DIR')
    .option('--triton-name <name>', 'model name in the Triton repository (default: the file name)')
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText(
      'after',
      '\nExample:\n  cnnx export --model runs/quickstart/model --out digits.onnx --calibration mnist-sample --triton triton-repo',
    )
    .action(async (flags: ExportFlags) => {
      try {
        await runExport(flags);
      } catch (error) {
        if (
          error instanceof ModelFormatError ||
          error instanceof UnsupportedLayerError ||
          error instanceof VerificationError ||
          error instanceof RangeError ||
          error instanceof TypeError
        ) {
          throw new CliError(error.message, { cause: error });
        }
        throw error;
      }
    });
}
