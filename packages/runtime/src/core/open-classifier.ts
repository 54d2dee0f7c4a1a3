/** Opening a classifier: the shared session options, the ONNX summary, the device and the metadata reading. */
import { OnnxFormatError } from '../errors.js';
import type { ClassifierInfo, ClassifierOptions } from '../types.js';
import { type Backend, type BackendSession, type BackendSessionOptions, resolveSession } from './backend.js';
import { type ModelReading, readModelMetadata } from './model-metadata.js';
import { ProtobufError, readOnnxSummary } from './onnx-model.js';

const devices = ['auto', 'cpu', 'cuda', 'webgpu', 'wasm'];

/** Everything {@link openClassifier} hands to the Classifier constructor. */
export interface ClassifierParts {
  backend: Backend;
  session: BackendSession;
  info: ClassifierInfo;
  reading: ModelReading;
}

/** Checks the options every entry shares and turns them into onnxruntime session options. */
function sessionOptionsOf(options: ClassifierOptions): BackendSessionOptions {
  const session: BackendSessionOptions = {};
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 0) {
      throw new RangeError(`'threads' must be an integer ≥ 0, got ${options.threads}`);
    }
    session.intraOpNumThreads = options.threads;
  }
  if (options.graphOptimizationLevel !== undefined) {
    if (!['disabled', 'basic', 'extended', 'all'].includes(options.graphOptimizationLevel)) {
      throw new RangeError(
        `'graphOptimizationLevel' must be one of disabled, basic, extended, all, got '${options.graphOptimizationLevel}'`,
      );
    }
    session.graphOptimizationLevel = options.graphOptimizationLevel;
  }
  if (options.executionMode !== undefined) {
    if (options.executionMode !== 'sequential' && options.executionMode !== 'parallel') {
      throw new RangeError(`'executionMode' must be sequential or parallel, got '${options.executionMode}'`);
    }
    session.executionMode = options.executionMode;
  }
  if (options.memoryArena !== undefined) session.enableCpuMemArena = Boolean(options.memoryArena);
  if (options.optimizedModelFilePath !== undefined)
    session.optimizedModelFilePath = options.optimizedModelFilePath;
  return session;
}

/**
 * Opens a classifier on ONNX bytes: reads the file's summary (failing with {@link OnnxFormatError} on bytes that
 * are not ONNX or are truncated), resolves a device among the registered backends, and reads the metadata.
 * The entries' `Classifier.load` call this after turning their source into bytes; `sessionModel` lets the
 * Node entry open a cached optimised graph instead of `bytes`, with its own session options.
 *
 * @example
 * const parts = await openClassifier(bytes, 'model.onnx', { device: 'auto' });
 * const classifier = new Classifier(parts);
 */
export async function openClassifier(
  bytes: Uint8Array,
  file: string,
  options: ClassifierOptions = {},
  sessionModel?: (sessionOptions: BackendSessionOptions) => {
    bytes: Uint8Array;
    options: BackendSessionOptions;
  },
  resolve: typeof resolveSession = resolveSession,
): Promise<ClassifierParts> {
  const device = options.device ?? 'auto';
  if (!devices.includes(device)) {
    throw new RangeError(`'device' must be one of ${devices.join(', ')}, got '${String(device)}'`);
  }
  const sessionOptions = sessionOptionsOf(options);
  let summary: ReturnType<typeof readOnnxSummary>;
  try {
    summary = readOnnxSummary(bytes);
  } catch (error) {
    if (error instanceof ProtobufError) throw new OnnxFormatError(file, error.message, { cause: error });
    throw error;
  }
  const inputs = summary.inputs.filter((input) => !summary.initializers.has(input.name));
  const reading = readModelMetadata(inputs, summary.outputs, summary.metadata, options);
  const opened = sessionModel ? sessionModel(sessionOptions) : { bytes, options: sessionOptions };
  const resolved = await resolve(device, opened.bytes, opened.options);
  const described = resolved.backend.describe?.(resolved.session) ?? null;
  const info: ClassifierInfo = {
    device: resolved.device,
    provider: resolved.backend.provider,
    skipped: resolved.skipped,
    inputs: described?.inputs ?? inputs,
    outputs: described?.outputs ?? summary.outputs,
    opset: summary.opset,
    classNames: reading.classNames,
    layout: reading.layout,
    scale: reading.scale,
    image: reading.image,
    sources: reading.sources,
    outputKind: 'unknown',
    optimizedModelCache: null,
    threads: options.threads || null,
  };
  return { backend: resolved.backend, session: resolved.session, info, reading };
}
