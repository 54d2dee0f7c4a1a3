import { spawnSync } from 'node:child_process';
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
