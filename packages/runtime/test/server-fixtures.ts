/**
 * Fixtures for the server tests: a real tfjs model exported to ONNX by `@cnnx/export`, real MNIST digits
 * as PNG files, and the `cnnx` CLI as a child process. Nothing here comes from the server's own code.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const cliBin = join(root, 'packages/cli/dist/bin.js');

/** The server tests import `@cnnx/train`, `@cnnx/export` and run the CLI: build them when they are missing. */
export function ensureBuilt(): void {
  const needed = [
    'packages/train/dist/index.js',
    'packages/export/dist/index.js',
    'packages/cli/dist/bin.js',
  ];
  if (needed.every((file) => existsSync(join(root, file)))) return;
  execFileSync('npx', ['turbo', 'run', 'build', '--filter=@cnnx/cli...', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'ignore',
  });
}

export const CLASS_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** The `tiny` preset with seeded random weights (cpu backend), exported to ONNX with class names. */
export async function makeModel(directory: string): Promise<string> {
  ensureBuilt();
  // Imported by a computed name: @cnnx/runtime does not depend on them, so typechecking this package must
  // not need their built types (turbo builds them for the CLI; ensureBuilt() covers a fresh checkout).
  const trainPackage: string = '@cnnx/train';
  const exportPackage: string = '@cnnx/export';
  const { initBackend, buildModel } = (await import(trainPackage)) as {
    initBackend(preferred: 'cpu'): Promise<unknown>;
    buildModel(
      preset: string,
      options: { inputShape: number[]; numClasses: number; seed: number },
    ): { dispose(): void };
  };
  const { exportToOnnx } = (await import(exportPackage)) as {
    exportToOnnx(model: unknown, options: { classNames: string[] }): Promise<Uint8Array>;
  };
  await initBackend('cpu');
  const model = buildModel('tiny', { inputShape: [28, 28, 1], numClasses: 10, seed: 11 });
  const bytes = await exportToOnnx(model, { classNames: CLASS_NAMES });
  model.dispose();
  const file = join(directory, 'tiny.onnx');
  await writeFile(file, bytes);
  return file;
}

/** Real digits of the `mnist` package as PNG photos (dark ink on white, 84×84), one per class 0-`count`. */
export async function makeDigitPngs(
  directory: string,
  count: number,
): Promise<{ path: string; bytes: Buffer }[]> {
  const sharp = (await import('sharp')).default;
  const { loadDataset } = await import('@cnnx/data');
  const digits = await loadDataset('mnist-sample');
  const images: { path: string; bytes: Buffer }[] = [];
  for (let label = 0; label < count; label++) {
    const index = digits.labels.indexOf(label);
    const pixels = Buffer.from(digits.images.subarray(index * 784, (index + 1) * 784));
    const bytes = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
      .negate()
      .resize(84, 84)
      .png()
      .toBuffer();
    const path = join(directory, `digit-${label}.png`);
    await writeFile(path, bytes);
    images.push({ path, bytes });
  }
  return images;
}

/** `cnnx serve ...` as a child process; resolves once it prints its address. */
export async function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [cliBin, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`cnnx serve printed no address in 60 s:\n${output}`)),
      60_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cnnx serve exited with ${code}:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

/** Stops a child this test started (SIGKILL after 10 s). */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(timer);
}
