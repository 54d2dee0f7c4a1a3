import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseInputScale } from '@cnnx/data';
import {
  type ExportOptions,
  exportToOnnx,
  isTritonName,
  loadCalibrationImages,
  readOnnx,
  SUPPORTED_OPSETS,
  TRITON_NAME_RULE,
  type VerificationInputs,
  type VerificationResult,
  verifyExport,
  writeTritonModel,
} from '@cnnx/export';
import { CliError, UsageError } from '../errors.js';
import { printJson, say, writeFileAtomic } from '../io.js';
import { openLayersModel } from '../layers-model.js';
import { locateModel } from '../model-location.js';
import { checkOutputPath } from '../output-paths.js';

/** The flags of `cnnx export`, as commander parses them. */
export interface ExportFlags {
  model?: string;
  out?: string;
  opset: number;
  inputLayout: 'nhwc' | 'nchw';
  quantize?: 'fp16' | 'int8';
  calibration?: string;
  dataDir?: string;
  calibrationCount: number;
  calibrationMethod: 'minmax' | 'percentile';
  classNames?: string;
  inputScale?: string;
  runId?: string;
  verify: boolean;
  triton?: string;
  tritonName?: string;
  tritonVersion: number;
  force?: boolean;
  json?: boolean;
}

/** What `--out` refreshes without `--force`: an ONNX file that cnnx wrote. */
export const OWN_OUTPUT = 'an ONNX file written by cnnx';

/** Whether `file` is an ONNX model whose producer is cnnx (files over 1 GiB are not read, and are not). */
export async function isCnnxOnnx(file: string): Promise<boolean> {
  const info = await stat(file);
  if (!info.isFile() || info.size > 2 ** 30) return false;
  return readOnnx(new Uint8Array(await readFile(file))).producerName === 'cnnx';
}

/**
 * The Triton entry's name: --triton-name, else the --out file's name less .onnx (other characters as '_'),
 * refused with exit 2 unless it is one folder name Triton accepts.
 */
function tritonName(flags: ExportFlags, out: string): string {
  const name =
    flags.tritonName ??
    basename(out)
      .replace(/\.onnx$/i, '')
      .replace(/[^A-Za-z0-9_.-]/g, '_');
  if (!isTritonName(name)) {
    throw new UsageError(
      flags.tritonName === undefined
        ? `--out ${out} gives the Triton model name ${JSON.stringify(name)}, which must be ${TRITON_NAME_RULE}; pass --triton-name NAME`
        : `--triton-name ${JSON.stringify(name)} must be ${TRITON_NAME_RULE}`,
    );
  }
  return name;
}

function checkFlags(flags: ExportFlags): { model: string; out: string } {
  if (!flags.model) {
    throw new UsageError('--model is required (a tfjs model folder, or a Keras .h5/.keras file)');
  }
  if (!flags.out) throw new UsageError('--out FILE.onnx is required');
  if (flags.quantize === 'int8' && !flags.calibration) {
    throw new UsageError('--quantize int8 needs --calibration SPEC (images to calibrate activations on)');
  }
  if (flags.opset < SUPPORTED_OPSETS.min || flags.opset > SUPPORTED_OPSETS.max) {
    throw new CliError(
      `--opset ${flags.opset} is not supported; expected an opset from ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max}`,
    );
  }
  return { model: flags.model, out: flags.out };
}

/**
 * Runs `cnnx export`: checks the flags and the output paths, opens the model, exports (and verifies) it, and
 * writes the ONNX file and the Triton entry.
 *
 * @example
 * await runExport({ model: 'runs/a/model', out: 'a.onnx', opset: 17, verify: true, … });
 */
export async function runExport(flags: ExportFlags): Promise<void> {
  const { model: path, out } = checkFlags(flags);
  const triton = flags.triton ? tritonName(flags, out) : undefined;
  await checkOutputPath({
    flag: '--out',
    path: out,
    kind: 'file',
    force: Boolean(flags.force),
    isOwnOutput: isCnnxOnnx,
    ownOutput: OWN_OUTPUT,
  });
  // a Triton entry is never refused (only its version folder is replaced), but it must be writable
  if (flags.triton && triton) {
    await checkOutputPath({
      flag: '--triton',
      path: join(flags.triton, triton),
      kind: 'folder',
      force: true,
    });
  }
  const location = await locateModel(path);
  if (location.kind === 'onnx')
    throw new CliError(`--model ${path} is ONNX already: export a tfjs or Keras model`);
  // tfjs reads the model and runs the reference predictions: the fastest backend here (wasm without tfjs-node)
  const opened = await openLayersModel(location, { inputScale: flags.inputScale });
  const { model, inputScale } = opened;
  if (flags.verify) say(`tfjs backend for verification: ${opened.backend}`);
  const scale = parseInputScale(inputScale);
  const classNames = flags.classNames ? flags.classNames.split(',') : opened.classNames;
  const classes = model.outputs[0]?.shape.at(-1);
  if (flags.classNames && typeof classes === 'number' && classNames?.length !== classes) {
    model.dispose();
    throw new UsageError(
      `--class-names names ${classNames?.length} classes but ${path} has ${classes} outputs; give ${classes} comma-separated names`,
    );
  }
  const runId = flags.runId ?? opened.runId;
  // --calibration SPEC: its train split calibrates int8, its test split checks the export.
  let calibration: Float32Array | undefined;
  let images: VerificationInputs | undefined;
  if (flags.calibration) {
    const loaded = await loadCalibrationImages(flags.calibration, model, {
      count: flags.calibrationCount,
      scale,
      ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    }).catch((error: Error) => {
      throw error instanceof RangeError
        ? new CliError(`--calibration ${flags.calibration}: ${error.message}`)
        : error;
    });
    ({ calibration, verification: images } = loaded);
    say(
      `${flags.calibration}: ${loaded.calibrationCount} training images calibrate, ${images.count} test images verify`,
    );
  }
  const options: ExportOptions = {
    opset: flags.opset,
    inputLayout: flags.inputLayout,
    inputScale,
    ...(flags.quantize ? { quantize: flags.quantize } : {}),
    ...(classNames ? { classNames } : {}),
    ...(runId ? { runId } : {}),
    ...(calibration ? { calibration, calibrationMethod: flags.calibrationMethod } : {}),
  };
  const bytes = await exportToOnnx(model, options);
  const verification = flags.verify
    ? await verifyExport(bytes, model, { quantize: flags.quantize, images }, (what, result) =>
        say(describe(result, what)),
      )
    : {};
  await writeFileAtomic(resolve(out), bytes);
  const info = readOnnx(bytes);
  say(
    `wrote ${out} (${(bytes.byteLength / 1024).toFixed(0)} KiB, opset ${info.opset}, ${info.nodeCount} nodes${flags.quantize ? `, ${flags.quantize}` : ''})`,
  );
  let entry: string | null = null;
  if (flags.triton && triton) {
    const version = flags.tritonVersion;
    entry = await writeTritonModel(flags.triton, triton, bytes, { version });
    say(
      `wrote Triton model repository entry ${join(flags.triton, triton)}/{config.pbtxt, ${version}/model.onnx}`,
    );
  }
  model.dispose();
  if (flags.json) printJson({ out, bytes: bytes.byteLength, ...info, verification, triton: entry });
}

function describe(result: VerificationResult, what: string): string {
  return `verified on ${result.samples} ${what}: max |Δ| ${result.maxAbsDiff.toExponential(2)}, class agreement ${(result.agreement * 100).toFixed(2)}%`;
}
