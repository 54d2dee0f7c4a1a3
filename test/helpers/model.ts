import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCnnx } from './cli.js';

const CACHE = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache');

/**
 * The run folder of a default `cnnx quickstart` (all embedded digits, default epochs, seed 42), trained once
 * and kept in `test/.cache/` for the test files that need a real trained model; later calls reuse it.
 *
 * @example
 * const run = await quickstartRun(); // '…/test/.cache/quickstart' holding model/, model.onnx, metrics.json
 */
export async function quickstartRun(): Promise<string> {
  const out = join(CACHE, 'quickstart');
  const ready = await access(join(out, 'metrics.json')).then(
    () => true,
    () => false,
  );
  if (!ready) {
    const run = await runCnnx(['quickstart', '--out', out], { timeoutMs: 900_000 });
    if (run.code !== 0) throw new Error(`cnnx quickstart failed (exit ${run.code}):\n${run.stderr}`);
  }
  return out;
}
