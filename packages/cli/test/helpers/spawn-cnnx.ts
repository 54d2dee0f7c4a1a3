import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));
// the child runs in a scratch folder, so tsx is named by its resolved location
const tsx = import.meta.resolve('tsx');

/** What one `cnnx` process printed and how it exited. */
export interface CnnxResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cnnx ARGS...` from the sources in a child process, in `cwd`, and waits for it.
 *
 * @example
 * const { code, stdout } = spawnCnnx(folder, ['inspect', 'digits.onnx', '--json']);
 */
export function spawnCnnx(cwd: string, args: string[], env?: NodeJS.ProcessEnv): CnnxResult {
  const result = spawnSync(process.execPath, ['--import', tsx, bin, ...args], {
    cwd,
    encoding: 'utf8',
    ...(env ? { env } : {}),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs `cnnx ARGS...` like {@link spawnCnnx} without blocking this process, so that servers the test runs
 * (a loopback proxy, a mirror) can answer the child meanwhile.
 *
 * @example
 * const { code, stderr } = await spawnCnnxAsync(folder, ['setup', 'cuda'], { ...process.env, HTTPS_PROXY: proxy });
 */
export function spawnCnnxAsync(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<CnnxResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, bin, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env ? { env } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
