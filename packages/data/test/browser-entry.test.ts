import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

describe('browser entry', () => {
  it('bundles for the browser without node:*, sharp or other Node-only imports', async () => {
    const entry = fileURLToPath(new URL('../src/browser.ts', import.meta.url));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const nodeOnly = inputs.filter((path) => /(^node:|sharp|onnxruntime-node|tfjs-node)/.test(path));
    assert.deepEqual(nodeOnly, []);
    const imports = Object.values(result.metafile.outputs).flatMap((output) =>
      output.imports.map((i) => i.path),
    );
    assert.deepEqual(imports, [], 'no imports left unresolved');
    const code = result.outputFiles[0]!.text;
    assert.match(code, /prepareDigitPixels/);
  });
});
