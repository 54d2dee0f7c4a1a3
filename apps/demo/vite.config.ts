import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig, type HtmlTagDescriptor, type Plugin } from 'vite';
import { copyOrtRuntime, findModel, installModel, ORT_DIR, writeExamples } from './scripts/assets.mjs';

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
    // Start fetching what the page needs before its script runs: the model, and the one wasm loader (with its
    // .wasm) that the bundled onnxruntime-web build imports.
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        if (!context.bundle) return [];
        const code = Object.values(context.bundle)
          .map((output) => (output.type === 'chunk' ? output.code : ''))
          .join('\n');
        const loaders = [...new Set(code.match(/ort-wasm-simd-threaded(?:\.[a-z]+)?\.mjs/g) ?? [])];
        const preload = (href: string, as: string): HtmlTagDescriptor => ({
          tag: 'link',
          attrs: { rel: 'preload', href, as, crossorigin: '' },
          injectTo: 'head',
        });
        const tags: HtmlTagDescriptor[] = [preload('model.onnx', 'fetch')];
        if (loaders.length === 1 && loaders[0]) {
          const loader = loaders[0];
          tags.push({
            tag: 'link',
            attrs: { rel: 'modulepreload', href: `${ORT_DIR}/${loader}`, crossorigin: '' },
            injectTo: 'head',
          });
          tags.push(preload(`${ORT_DIR}/${loader.replace(/\.mjs$/, '.wasm')}`, 'fetch'));
        }
        return tags;
      },
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
