/**
 * Child-process entry: `node provider-probe.js PROVIDER` opens the probe model on one onnxruntime-node
 * execution provider, runs it, and prints one JSON line: `{"ok":true}` or `{"ok":false,"message":"…"}`.
 * It runs apart from the caller so that the provider's native log lines, a crash in a driver or a hang
 * stay out of the caller's process (see `describeExecutionProviders`).
 */
import * as ort from 'onnxruntime-node';
import { PROBE_INPUT, PROBE_OUTPUT, probeModel } from './probe-model.js';

async function probe(provider: string): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    const session = await ort.InferenceSession.create(probeModel(), { executionProviders: [provider] });
    try {
      const outputs = await session.run({ x: new ort.Tensor('float32', PROBE_INPUT, [PROBE_INPUT.length]) });
      const result = outputs.y?.data;
      const expected = [...PROBE_OUTPUT].join(', ');
      if (!(result instanceof Float32Array) || [...result].join(', ') !== expected) {
        return {
          ok: false,
          message: `the probe model ran but returned ${String(result)}, expected ${expected}`,
        };
      }
      return { ok: true };
    } finally {
      await session.release();
    }
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

const provider = process.argv[2];
if (!provider) {
  process.stderr.write('usage: provider-probe PROVIDER\n');
  process.exitCode = 2;
} else {
  process.stdout.write(`${JSON.stringify(await probe(provider))}\n`);
}
