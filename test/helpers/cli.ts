import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The built `cnnx` entry, found through the published package name. */
export const CNNX_BIN = join(dirname(require.resolve('@cnnx/cli/package.json')), 'dist', 'bin.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `cnnx` command in a child process and collects its output.
 *
 * @example
 * const { code, stderr } = await runCnnx(['train', '--epochs', '0']); // code === 2
 */
export function runCnnx(
  args: string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CNNX_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The non-empty lines of a command's stderr. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** The one line cnnx printed about a failure, asserting it is the only `cnnx: ` line and no stack trace follows. */
export function errorLine(run: CliRun): string {
  const found = run.stderr.split('\n').filter((line) => line.startsWith('cnnx: '));
  assert.equal(found.length, 1, run.stderr);
  assert.ok(!/^\s+at /m.test(run.stderr), 'no stack trace');
  return found[0]!;
}
