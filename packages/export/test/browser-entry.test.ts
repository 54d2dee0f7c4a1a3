import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

test('the browser entry bundles for the browser without node:*, onnxruntime-node or tfjs-node', async () => {
  const entry = fileURLToPath(new URL('../src/browser.ts', import.meta.url));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // tfjs itself is the app's to provide; everything the exporter adds is bundled and inspected.
    external: ['@tensorflow/tfjs'],
  });
  const inputs = Object.keys(result.metafile.inputs);
  const forbidden = inputs.filter((path) => /onnxruntime-node|tfjs-node|^node:/.test(path));
  assert.deepEqual(forbidden, []);
  const imports = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.map((entry) => entry.path),
  );
  assert.deepEqual(
    imports.filter((path) => path !== '@tensorflow/tfjs'),
    [],
  );
  // The ONNX messages come from the static module: protobufjs's minimal runtime, never its reflection/parser.
  assert.ok(inputs.some((path) => path.includes('onnx.gen.js')));
  assert.ok(!inputs.some((path) => /protobufjs\/src\/(parse|root|type)\.js/.test(path)), inputs.join('\n'));
});
