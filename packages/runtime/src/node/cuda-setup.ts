/**
 * Adds the CUDA execution provider to onnxruntime-node: runs the package's own installer with its CUDA 12
 * option (it fetches the provider's libraries from NuGet into the binding folder), then checks the result by
 * opening a CUDA session in a child process.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ExecutionProviderStatus } from '../types.js';
import { bindingFolder, missingProviderLibraries } from './backends.js';
import { describeExecutionProviders } from './environment.js';

/** Where onnxruntime-node's installer fetches the CUDA provider from (its NuGet feed). */
export const CUDA_DOWNLOAD_HOST = 'api.nuget.org';

/** Failures of the network rather than of this machine (the installer's messages and Node's error codes). */
const NETWORK_FAILURE =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|socket|proxy|certificate|HTTP status|download/i;

/** The platforms onnxruntime-node's installer has a CUDA 12 download for. */
const CUDA_PLATFORMS = ['linux/x64'];

/**
 * Setting up CUDA failed. `step` says where: `platform` (no CUDA download for this system), `installer`
 * (onnxruntime-node or its installer is missing), `download` (the installer could not fetch the provider) or
 * `check` (the provider is installed but a CUDA session does not open). The message is one line ending
 * with what to do.
 *
 * @example
 * try { await setUpCuda(); } catch (e) { if (e instanceof CudaSetupError) console.error(e.step, e.message); }
 */
export class CudaSetupError extends Error {
  readonly step: 'platform' | 'installer' | 'download' | 'check';
  constructor(step: CudaSetupError['step'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CudaSetupError';
    this.step = step;
  }
}

/** Options of {@link setUpCuda}. */
export interface CudaSetupOptions {
  /** Run the installer even when the provider's libraries are already there (default false). */
  force?: boolean;
  /** How long the installer may take (default 30 minutes: the download is several hundred MB). */
  timeoutMs?: number;
  /** Each line the installer prints (`Downloading …`, `Extracting …`), as it prints it. */
  onOutput?: (line: string) => void;
  /** The installer's environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** What {@link setUpCuda} did and what it found. */
export interface CudaSetupResult {
  /** The installer ran (false when the libraries were already there and `force` was not given). */
  installerRan: boolean;
  /** Where the provider's libraries are. */
  folder: string;
  /** The CUDA provider as checked after the set-up (available). */
  cuda: ExecutionProviderStatus;
}

/** onnxruntime-node's install script, or a CudaSetupError saying it is missing. */
function installerScript(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    return join(dirname(entry), '..', 'script', 'install.js');
  } catch (error) {
    throw new CudaSetupError('installer', 'onnxruntime-node is not installed; run `npm ci` first', {
      cause: error,
    });
  }
}

/**
 * The installer's environment: its CUDA 12 option, and the usual proxy variables passed on under the
 * names its proxy agent (global-agent) reads, unless those are set already.
 */
function installerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const proxy = env.GLOBAL_AGENT_HTTPS_PROXY ?? env.HTTPS_PROXY ?? env.https_proxy;
  const noProxy = env.GLOBAL_AGENT_NO_PROXY ?? env.NO_PROXY ?? env.no_proxy;
  return {
    ...env,
    ONNXRUNTIME_NODE_INSTALL: 'cuda12',
    ...(proxy ? { GLOBAL_AGENT_HTTPS_PROXY: proxy } : {}),
    ...(noProxy ? { GLOBAL_AGENT_NO_PROXY: noProxy } : {}),
  };
}

/** The first `Error: …` line a failed Node script printed (an uncaught error's message), or its last line. */
function failureOf(output: string): string {
  const lines = output.split('\n').map((line) => line.trim());
  const error = lines.find((line) => /^[A-Za-z]*Error: /.test(line));
  return (error ?? lines.filter(Boolean).pop() ?? 'no message').replace(/^[A-Za-z]*Error: /, '');
}

/** Runs the installer; resolves with how it ended and what it wrote to stderr. */
function runInstaller(
  script: string,
  options: CudaSetupOptions,
): Promise<{ code: number | null; timedOut: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: dirname(dirname(script)),
      env: installerEnvironment(options.env ?? process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onOutput?.(line.trimEnd());
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 1 << 20) stderr += chunk;
    });
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill('SIGKILL');
      },
      options.timeoutMs ?? 30 * 60_000,
    );
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new CudaSetupError('installer', `could not start onnxruntime-node's installer: ${error.message}`),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pending.trim() !== '') options.onOutput?.(pending.trimEnd());
      resolve({ code, timedOut, stderr });
    });
  });
}

/**
 * Adds CUDA to onnxruntime-node: runs the package's installer (`script/install.js`) with its CUDA 12 option,
 * which downloads the CUDA and TensorRT providers from NuGet into the binding folder, then opens a CUDA session
 * to prove it runs. Skips the download when the libraries are already there (unless `force`). Throws a
 * {@link CudaSetupError} with one line saying what to do when the system has no CUDA download, the download
 * fails (behind a proxy, set `HTTPS_PROXY`) or the installed provider does not start (driver, CUDA 12 and
 * cuDNN 9 libraries).
 *
 * @example
 * const result = await setUpCuda({ onOutput: (line) => console.error(line) });
 * // Downloading https://api.nuget.org/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/1.30.0/…nupkg
 * // result → { installerRan: true, folder: '…/onnxruntime-node/bin/napi-v6/linux/x64', cuda: { name: 'cuda', available: true, … } }
 */
export async function setUpCuda(options: CudaSetupOptions = {}): Promise<CudaSetupResult> {
  const where = `${process.platform}/${process.arch}`;
  if (!CUDA_PLATFORMS.includes(where)) {
    throw new CudaSetupError(
      'platform',
      `onnxruntime-node's installer has a CUDA provider for ${CUDA_PLATFORMS.join(', ')} only, not ${where}; ` +
        'use the CPU here (the default), or WebGPU in the browser',
    );
  }
  const script = installerScript();
  const folder = bindingFolder() ?? dirname(script);
  const needed = options.force === true || missingProviderLibraries('cuda').length > 0;
  if (needed) {
    const { code, timedOut, stderr } = await runInstaller(script, options);
    if (timedOut || code !== 0) {
      const limit = Math.round((options.timeoutMs ?? 30 * 60_000) / 1000);
      const reason = timedOut ? `it did not finish within ${limit} s` : failureOf(stderr);
      const network = timedOut || NETWORK_FAILURE.test(reason);
      throw new CudaSetupError(
        'download',
        `onnxruntime-node's installer could not fetch the CUDA provider: ${reason}; ` +
          (network
            ? `this machine must reach https://${CUDA_DOWNLOAD_HOST} (behind a proxy, set HTTPS_PROXY=http://HOST:PORT), then try again`
            : 'fix that, then try again'),
      );
    }
    const missing = missingProviderLibraries('cuda');
    if (missing.length > 0) {
      throw new CudaSetupError(
        'download',
        `onnxruntime-node's installer finished but ${missing.join(', ')} is not in ${folder}; run it again with --force`,
      );
    }
  }
  const [cuda] = await describeExecutionProviders({ providers: ['cuda'] });
  if (!cuda?.available) {
    throw new CudaSetupError(
      'check',
      `the CUDA provider is installed in ${folder}, but a CUDA session does not open: ${cuda?.reason ?? 'no answer'}; ` +
        'it needs an NVIDIA GPU and driver, and the CUDA 12 and cuDNN 9 libraries on the library path (LD_LIBRARY_PATH)',
    );
  }
  return { installerRan: needed, folder, cuda };
}
