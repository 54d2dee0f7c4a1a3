import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { copyOrtRuntime, findModel, installModel, writeExamples } from './scripts/assets.mjs';

/** Headers that make the page cross-origin isolated, so onnxruntime-web's wasm can use threads. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * After the bundle is written: copies onnxruntime-web's .wasm files into dist/ort/, and the model (CNNX_MODEL, or
 * the quickstart's when it exists) with its gallery of held-out digits into dist/. Without a model, the
 * static server (scripts/serve.mjs) adds them at start.
 */
function demoAssets(): Plugin {
  let outDir = 'dist';
  return {
    name: 'cnnx-demo-assets',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      await copyOrtRuntime(outDir);
      const model = await findModel(process.env.CNNX_MODEL);
      if (model === null) return;
      await installModel(model, outDir);
      await writeExamples(outDir);
    },
  };
}

export default defineConfig({
  // onnxruntime-web's builds that load their .wasm (and its loader) from `env.wasm.wasmPaths`, rather than the
  // "bundle" builds that make Vite copy a 28 MB .wasm into assets/.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 600 },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  plugins: [demoAssets()],
});
