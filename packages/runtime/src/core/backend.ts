import { DeviceUnavailableError } from '../errors.js';
import type { TensorLike, ValueInfo } from '../types.js';

/** onnxruntime session options the runtime passes through (a subset of `InferenceSession.SessionOptions`). */
export interface BackendSessionOptions {
  intraOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  enableCpuMemArena?: boolean;
  optimizedModelFilePath?: string;
  /** 0 verbose … 4 fatal. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** An open onnxruntime session, as both onnxruntime-node and onnxruntime-web expose it. */
export interface BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>>;
  release(): Promise<void>;
  /** Why this session can no longer run (its worker thread stopped, say); undefined while it can. */
  readonly failure?: Error | undefined;
}

/** A way to run ONNX models on one device: onnxruntime-node's CPU, its CUDA provider, onnxruntime-web's wasm… */
export interface Backend {
  /** The execution provider this backend asks onnxruntime for. */
  readonly provider: string;
  /** Opens a session on `model`; throws (with a reason a user can act on) when this device cannot run it. */
  createSession(model: Uint8Array, options: BackendSessionOptions): Promise<BackendSession>;
  /** Wraps a typed array as this backend's tensor type (no copy). */
  createTensor(type: 'float32', data: Float32Array, dims: readonly number[]): TensorLike;
  /** Optional: input and output descriptions as onnxruntime reports them. */
  describe?(session: BackendSession): { inputs: ValueInfo[]; outputs: ValueInfo[] } | null;
}

interface Registration {
  name: string;
  backend: Backend;
  priority: number;
}

const registry: Registration[] = [];

/**
 * Registers a backend under a device name. `auto` tries devices from the highest priority down. Each name
 * may be registered once (the entries register theirs when first imported): registering it again throws,
 * as the exporter's converters and the training kernels do.
 *
 * @example
 * registerBackend('cpu', cpuBackend, 10);
 * registerBackend('cuda', cudaBackend, 100); // `auto` tries cuda first
 * registerBackend('cpu', otherBackend, 5); // throws: a backend for device 'cpu' is already registered
 */
export function registerBackend(name: string, backend: Backend, priority: number): void {
  if (!name || typeof name !== 'string')
    throw new TypeError(`'name' must be a non-empty string, got ${String(name)}`);
  if (!Number.isFinite(priority)) throw new TypeError(`'priority' must be a finite number, got ${priority}`);
  if (registry.some((r) => r.name === name)) {
    throw new Error(
      `a backend for device '${name}' is already registered (${registeredDevices().join(', ')})`,
    );
  }
  registry.push({ name, backend, priority });
  registry.sort((a, b) => b.priority - a.priority);
}

/**
 * The registered device names, highest priority first.
 *
 * @example
 * registeredDevices(); // → ['cuda', 'cpu'] in Node
 */
export function registeredDevices(): string[] {
  return registry.map((r) => r.name);
}

/** The session that opened, on which device, and why the devices before it were skipped. */
export interface ResolvedSession {
  device: string;
  backend: Backend;
  session: BackendSession;
  skipped: { device: string; reason: string }[];
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() || 'unknown error';
}

/**
 * Opens a session on `device`, or for `auto` on the first registered device that can run the model. When
 * none can, throws a {@link DeviceUnavailableError} listing each candidate's cause.
 *
 * @example
 * const { device, session, skipped } = await resolveSession('auto', bytes, {});
 * // device → 'cpu', skipped → [{ device: 'cuda', reason: 'the CUDA provider is not installed…' }]
 */
export async function resolveSession(
  device: string,
  model: Uint8Array,
  options: BackendSessionOptions,
): Promise<ResolvedSession> {
  const candidates = device === 'auto' ? registry : registry.filter((r) => r.name === device);
  if (candidates.length === 0) {
    const known = registeredDevices();
    throw new RangeError(
      `'device' must be one of auto, ${known.join(', ')} here, got '${device}'` +
        (known.length === 0 ? ' (no backend is registered: import @cnnx/runtime, not its core)' : ''),
    );
  }
  const skipped: { device: string; reason: string }[] = [];
  for (const candidate of candidates) {
    try {
      const session = await candidate.backend.createSession(model, options);
      return { device: candidate.name, backend: candidate.backend, session, skipped };
    } catch (error) {
      skipped.push({ device: candidate.name, reason: reasonOf(error) });
      if (candidates.length === 1) throw new DeviceUnavailableError(skipped, { cause: error });
    }
  }
  throw new DeviceUnavailableError(skipped);
}
