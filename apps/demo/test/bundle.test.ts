import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzippedSize, nodeOnlyImports, nodeOnlySources, pageScripts, staticImports } from './audit.js';
import { buildDemo, listFiles, temporaryDir } from './helpers.js';

/** The budget for the JavaScript the page loads before it fetches the model (gzipped, .wasm not counted). */
const JS_BUDGET_BYTES = 300 * 1000;

describe('the audit helpers', () => {
  it('find Node built-ins and Node-only packages in built code', () => {
    const code =
      'import{readFile as a}from"node:fs";import b from"path";const c=await import("sharp");require("onnxruntime-node");import"./chunk.js";export{d}from"@tensorflow/tfjs-node";';
    assert.deepEqual(nodeOnlyImports(code).sort(), [
      '@tensorflow/tfjs-node',
      'node:fs',
      'onnxruntime-node',
      'path',
      'sharp',
    ]);
    assert.deepEqual(nodeOnlyImports('import{a}from"./a.js";fetch("fs")'), []);
  });

  it('find Node entries and stubs among source-map sources', () => {
    const sources = [
      '../../src/main.ts',
      '../../../../packages/data/dist/browser.js',
      '../../../../packages/data/dist/index.js',
      '__vite-browser-external',
      '../../../../node_modules/onnxruntime-node/dist/index.js',
    ];
    assert.deepEqual(nodeOnlySources({ sources }), sources.slice(2));
  });

  it('follow static imports only', () => {
    assert.deepEqual(staticImports('import{a}from"./chunk-1.js";import"./b.js";import("./lazy.js")'), [
      './chunk-1.js',
      './b.js',
    ]);
  });
});

describe('the production build', () => {
  let dist = '';
  let remove = async () => {};
  let files: string[] = [];

  before(async () => {
    const folder = await temporaryDir('cnnx-demo-bundle-');
    remove = folder.remove;
    dist = join(folder.path, 'dist');
    await buildDemo(dist);
    files = await listFiles(dist);
  });
  after(() => remove());

  it("serves onnxruntime-web's .wasm files and their loaders itself", () => {
    for (const name of [
      'ort-wasm-simd-threaded.wasm',
      'ort-wasm-simd-threaded.jsep.wasm',
      'ort-wasm-simd-threaded.mjs',
    ]) {
      assert.ok(files.includes(join('ort', name)), `dist/ort/${name} is missing`);
    }
  });

  it('contains no Node-only module', async () => {
    const scripts = files.filter((file) => /\.(m?js|html)$/.test(file) && !file.startsWith('ort/'));
    const maps = files.filter((file) => file.endsWith('.map'));
    assert.ok(
      scripts.length > 0 && maps.length > 0,
      `expected built scripts and source maps, got ${files.join(', ')}`,
    );
    const found: string[] = [];
    for (const file of scripts) {
      for (const specifier of nodeOnlyImports(await readFile(join(dist, file), 'utf8')))
        found.push(`${file}: ${specifier}`);
    }
    let bundled = 0;
    for (const file of maps) {
      const map = JSON.parse(await readFile(join(dist, file), 'utf8')) as { sources?: string[] };
      bundled += map.sources?.length ?? 0;
      for (const source of nodeOnlySources(map)) found.push(`${file}: ${source}`);
      assert.ok(
        map.sources?.some((source) => source.includes('packages/data/dist/')),
        `${file} does not bundle @cnnx/data's browser code`,
      );
    }
    assert.deepEqual(found, []);
    assert.ok(bundled > 5, `the source maps list only ${bundled} modules`);
  });

  it('loads under 300 kB of gzipped JavaScript before the model', async () => {
    const html = await readFile(join(dist, 'index.html'), 'utf8');
    const seen = new Set<string>();
    const queue = pageScripts(html).map((url) => posix.normalize(url.replace(/^\//, '')));
    assert.ok(queue.length > 0, 'index.html names no module script');
    let total = 0;
    while (queue.length > 0) {
      const file = queue.shift() ?? '';
      if (seen.has(file)) continue;
      seen.add(file);
      const code = await readFile(join(dist, file), 'utf8');
      total += gzippedSize(code);
      for (const url of staticImports(code))
        queue.push(posix.normalize(posix.join(posix.dirname(file), url)));
    }
    // onnxruntime-web also imports one of its .mjs wasm loaders; when index.html does not preload it, count the largest.
    const loaders = files.filter((file) => file.startsWith('ort/') && file.endsWith('.mjs'));
    if (!loaders.some((file) => seen.has(file))) {
      const sizes = await Promise.all(
        loaders.map(async (file) => gzippedSize(await readFile(join(dist, file)))),
      );
      total += Math.max(0, ...sizes);
    }
    console.log(`JavaScript before the model: ${(total / 1000).toFixed(1)} kB gzipped (budget 300 kB)`);
    assert.ok(total < JS_BUDGET_BYTES, `${total} bytes gzipped is over the 300 kB budget`);
  });
});
