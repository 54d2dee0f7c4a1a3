/**
 * The one module of `@cnnx/runtime` that looks at the machine from Node: which onnxruntime-node execution
 * providers run here (each checked in a child process), the CPU, memory and GPUs, and the versions of
 * Node, npm and onnxruntime. The browser's counterpart is `web/environment.ts`.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, freemem, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { installedVersion } from '@cnnx/data';
import * as ort from 'onnxruntime-node';
import type { Device, ExecutionProviderStatus, MachineDescription } from '../types.js';
import { cudaUnavailableReason, missingProviderLibraries } from './backends.js';

/** The execution providers always described, whether or not this onnxruntime-node build has them. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu'] as const;

/** The cnnx device that runs on each provider in Node. */
const DEVICES: Record<string, Device> = { cpu: 'cpu', cuda: 'cuda' };

/**
 * The versions of the ONNX Runtime packages installed beside `@cnnx/runtime` (null where one is missing).
 *
 * @example
 * onnxruntimeVersions(); // { 'onnxruntime-node': '1.30.0', 'onnxruntime-web': '1.30.0' }
 */
export function onnxruntimeVersions(): Record<'onnxruntime-node' | 'onnxruntime-web', string | null> {
  return {
    'onnxruntime-node': installedVersion('onnxruntime-node', import.meta.url),
    'onnxruntime-web': installedVersion('onnxruntime-web', import.meta.url),
  };
}

function notInstalledReason(provider: string, missing: string[]): string {
  const cuda = provider === 'cuda' ? cudaUnavailableReason() : null;
  if (cuda !== null) return cuda;
  return (
    `the ${provider === 'tensorrt' ? 'TensorRT' : provider} execution provider is not installed in ` +
    `onnxruntime-node (no ${missing.join(', ')}); \`cnnx setup cuda\` installs it with CUDA, and it also ` +
    'needs TensorRT 10 (libnvinfer) on the library path'
  );
}

/** What one probe process said, plus the lines of its native log that explain a failure. */
interface ProbeAnswer {
  ok: boolean;
  message: string;
}

/** onnxruntime's messages start with the C++ source location and the failed check; keep what a user reads. */
function readableMessage(message: string): string {
  const line = message.split('\n').find((part) => part.trim() !== '') ?? message;
  const check = / was false\. (.+)$/.exec(line);
  return (check ? check[1]! : line.replace(/^\/\S+:\d+ \S+ /, '')).trim();
}

/** Lines a provider's native code writes to stderr that say why it failed to load (with paths shortened). */
function nativeDetails(stderr: string): string[] {
  const details = new Set<string>();
  for (const line of stderr.split('\n')) {
    const library = /Failed to load library \S+ with error: (.+)$/.exec(line);
    const vulkan = /(Couldn't load Vulkan: .+)$/.exec(line);
    const found = library?.[1] ?? vulkan?.[1];
    if (found) details.add(found.replace(/(?:\/[^\s/:]+)+\/([^\s/:]+)/g, '$1').trim());
  }
  return [...details];
}

/** The probe script: compiled beside this file, or its TypeScript source run through tsx in development. */
function probeCommand(provider: string): string[] {
  if (!import.meta.url.endsWith('.ts')) {
    return [fileURLToPath(new URL('./provider-probe.js', import.meta.url)), provider];
  }
  const probe = fileURLToPath(new URL('./provider-probe.ts', import.meta.url));
  return ['--import', import.meta.resolve('tsx'), probe, provider];
}

/** Opens the probe model on `provider` in a child process, so its native logs and crashes stay there. */
function probeProvider(provider: string, timeoutMs: number): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, probeCommand(provider), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 1 << 20) stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `the probe process did not start: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      let answer: { ok?: unknown; message?: unknown } = {};
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        // no answer: the process crashed or was stopped
      }
      if (answer.ok === true) return resolve({ ok: true, message: '' });
      const details = nativeDetails(stderr);
      const message =
        typeof answer.message === 'string'
          ? readableMessage(answer.message)
          : signal === 'SIGKILL'
            ? `opening a session gave no answer within ${Math.round(timeoutMs / 1000)} s`
            : `the probe process ended with ${signal ?? `exit code ${code}`} (${readableMessage(stderr) || 'no message'})`;
      resolve({ ok: false, message: details.length > 0 ? `${message} (${details.join('; ')})` : message });
    });
  });
}

/** Options of {@link describeExecutionProviders}. */
export interface DescribeProvidersOptions {
  /** How long one provider may take to open a session and run (default 60 s; CUDA's first start is slow). */
  timeoutMs?: number;
  /** Only these providers (default: {@link EXECUTION_PROVIDERS} and every other one this build has). */
  providers?: readonly string[];
}

/**
 * Which onnxruntime-node execution providers run here. Each provider this build has (and whose libraries are
 * installed) is checked for real: a child process opens a one-node model on it and runs it. A provider that
 * does not run comes with the reason in one line: not compiled in, not installed (with the command that
 * installs it), or the error onnxruntime gave, completed from its native log (`libcudart.so.12: cannot open
 * shared object file`, `Failed to get a WebGPU adapter`…).
 *
 * @example
 * await describeExecutionProviders();
 * // [{ name: 'cpu', available: true, bundled: true, device: 'cpu' },
 * //  { name: 'cuda', available: false, bundled: false, device: 'cuda',
 * //    reason: 'the CUDA execution provider is not installed in onnxruntime-node (no libonnxruntime_providers_cuda.so, …); run `cnnx setup cuda` …' },
 * //  { name: 'tensorrt', available: false, … }, { name: 'webgpu', available: false, reason: 'Failed to get a WebGPU adapter: No supported adapters (…)', … }]
 */
export async function describeExecutionProviders(
  options: DescribeProvidersOptions = {},
): Promise<ExecutionProviderStatus[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!(timeoutMs > 0)) throw new RangeError(`'timeoutMs' must be a positive number, got ${timeoutMs}`);
  const compiled = ort.listSupportedBackends();
  const names = options.providers ?? [
    ...new Set([...EXECUTION_PROVIDERS, ...compiled.map((backend) => backend.name)]),
  ];
  const version = installedVersion('onnxruntime-node', import.meta.url) ?? 'unknown';
  return Promise.all(
    names.map(async (name): Promise<ExecutionProviderStatus> => {
      const build = compiled.find((backend) => backend.name === name);
      const base = { name, bundled: build ? build.bundled : null, device: DEVICES[name] ?? null };
      if (!build) {
        const where = `${process.platform}/${process.arch}`;
        return {
          ...base,
          available: false,
          reason: `onnxruntime-node ${version} has no ${name} provider on ${where}`,
        };
      }
      const missing = build.bundled ? [] : missingProviderLibraries(name);
      if (missing.length > 0) return { ...base, available: false, reason: notInstalledReason(name, missing) };
      const answer = await probeProvider(name, timeoutMs);
      return answer.ok ? { ...base, available: true } : { ...base, available: false, reason: answer.message };
    }),
  );
}

/** The SIMD extensions worth knowing for ONNX Runtime and XNNPACK, as `/proc/cpuinfo` spells them. */
const SIMD_FLAGS = [
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512bw',
  'avx512_vnni',
  'avx512_bf16',
  'avx_vnni',
  'amx_tile',
  'asimd',
  'asimddp',
  'sve',
  'i8mm',
];

function cpuSimd(): string[] {
  if (process.platform === 'darwin' && process.arch === 'arm64') return ['asimd'];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^(?:flags|Features)\s*:(.*)$/m.exec(info)?.[1] ?? '';
    const flags = new Set(line.trim().split(/\s+/));
    return SIMD_FLAGS.filter((flag) => flags.has(flag));
  } catch {
    return [];
  }
}

/** A module whose one function returns a `v128.const`: valid only where WebAssembly SIMD is. */
const SIMD_MODULE = Uint8Array.of(
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b],
  ...[0x03, 0x02, 0x01, 0x00],
  ...[0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b],
);

/** What a short command printed, or why it could not run (`missing`: the command is not installed). */
interface CommandOutcome {
  stdout: string;
  missing: boolean;
  failure: string | null;
}

function runCommand(command: string, args: string[], timeoutMs: number): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const options = { timeout: timeoutMs, encoding: 'utf8' as const, shell: process.platform === 'win32' };
    execFile(command, args, options, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, missing: false, failure: null });
      const said = `${stdout}\n${stderr}`.split('\n').find((line) => line.trim() !== '');
      resolve({
        stdout,
        missing: (error as { code?: unknown }).code === 'ENOENT',
        failure: said?.trim() ?? error.message,
      });
    });
  });
}

async function npmVersion(): Promise<string | null> {
  const agent = /^npm\/(\S+)/.exec(process.env.npm_config_user_agent ?? '');
  if (agent) return agent[1]!;
  const { stdout, failure } = await runCommand('npm', ['--version'], 20_000);
  return failure === null ? stdout.trim() || null : null;
}

async function nvidiaGpus(): Promise<MachineDescription['gpu']> {
  const query = ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits'];
  const { stdout, missing, failure } = await runCommand('nvidia-smi', query, 20_000);
  if (failure !== null) {
    const reason = missing
      ? 'nvidia-smi is not installed (no NVIDIA driver here)'
      : `nvidia-smi failed: ${failure}`;
    return { visible: false, devices: [], reason };
  }
  const devices = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', memory = '', driver = ''] = line.split(',').map((part) => part.trim());
      const memoryMiB = Number.parseInt(memory, 10);
      return { name, memoryMiB: Number.isFinite(memoryMiB) ? memoryMiB : null, driver: driver || null };
    });
  return devices.length > 0
    ? { visible: true, devices }
    : { visible: false, devices, reason: 'nvidia-smi lists no GPU' };
}

/**
 * This machine: Node and npm versions, the CPU (model, logical and usable cores, SIMD extensions, WebAssembly
 * SIMD), memory, and the NVIDIA GPUs `nvidia-smi` lists (with why none is visible).
 *
 * @example
 * await describeMachine();
 * // { platform: 'linux', arch: 'x64', node: '20.20.2', npm: '11.19.1',
 * //   cpu: { model: 'AMD EPYC 9R14', logicalCores: 2, usableCores: 2, simd: ['avx2', 'avx512f', …], wasmSimd: true },
 * //   memory: { totalBytes: 25204707328, freeBytes: 17213296640 },
 * //   gpu: { visible: false, devices: [], reason: 'nvidia-smi is not installed (no NVIDIA driver here)' } }
 */
export async function describeMachine(): Promise<MachineDescription> {
  const [npm, gpu] = await Promise.all([npmVersion(), nvidiaGpus()]);
  const processors = cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    node: process.versions.node,
    npm,
    cpu: {
      model: processors[0]?.model.trim() ?? 'unknown',
      logicalCores: processors.length,
      usableCores: availableParallelism(),
      simd: cpuSimd(),
      wasmSimd: WebAssembly.validate(SIMD_MODULE),
    },
    memory: { totalBytes: totalmem(), freeBytes: freemem() },
    gpu,
  };
}
