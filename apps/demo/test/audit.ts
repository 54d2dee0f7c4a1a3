// Pure checks over built files: which Node-only modules a bundle pulls in, and which JS a page loads first.
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';

/** Packages that only run in Node (native code or Node APIs). */
export const NODE_ONLY_PACKAGES = ['sharp', '@img/', 'onnxruntime-node', '@tensorflow/tfjs-node'];

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function isNodeOnly(specifier: string): boolean {
  if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return true;
  return NODE_ONLY_PACKAGES.some(
    (name) => specifier === name || specifier.startsWith(name.endsWith('/') ? name : `${name}/`),
  );
}

/**
 * The module specifiers a built JS file imports (static `import … from`, bare `import '…'`, `import('…')` with a
 * literal, `require('…')`) that are Node built-ins or Node-only packages.
 *
 * @example
 * nodeOnlyImports('import{readFile as a}from"node:fs";import"./x.js";'); // ['node:fs']
 */
export function nodeOnlyImports(code: string): string[] {
  const pattern =
    /(?:\bimport\s*(?:[\w$*{},\s]+?\s*from\s*)?|\bimport\s*\(\s*|\brequire\s*\(\s*|\bexport\s*(?:[\w$*{},\s]+?\s*)from\s*)(["'`])([^"'`\n]+)\1/g;
  const found = new Set<string>();
  for (const match of code.matchAll(pattern)) {
    const specifier = match[2] ?? '';
    if (isNodeOnly(specifier)) found.add(specifier);
  }
  return [...found];
}

/**
 * The modules in a source map's `sources` that are Node-only: Node-only packages, Vite's stub for built-ins it
 * had to leave out (`__vite-browser-external`), or a @cnnx package's Node entry (`dist/index.js` instead of
 * `dist/browser.js`).
 *
 * @example
 * nodeOnlySources({ sources: ['../../node_modules/sharp/lib/index.js', '../src/main.ts'] }); // ['../../node_modules/sharp/lib/index.js']
 */
export function nodeOnlySources(map: { sources?: string[] }): string[] {
  return (map.sources ?? []).filter(
    (source) =>
      source.includes('__vite-browser-external') ||
      NODE_ONLY_PACKAGES.some((name) => source.includes(`node_modules/${name}`)) ||
      /packages\/(data|runtime|train|export|cli)\/dist\/(index|node\/|server\/)/.test(source) ||
      /node_modules\/@cnnx\/[a-z]+\/dist\/(index|node\/|server\/)/.test(source),
  );
}

/**
 * The relative module URLs a built ES module imports statically (`import … from "./x.js"`, `import "./x.js"`),
 * which the browser fetches before running it.
 *
 * @example
 * staticImports('import{a}from"./chunk-1.js";import("./lazy.js")'); // ['./chunk-1.js']
 */
export function staticImports(code: string): string[] {
  const pattern = /\bimport\s*(?:[\w$*{},\s]+?\s*from\s*)?(["'])(\.{0,2}\/[^"']+)\1/g;
  return [...code.matchAll(pattern)].map((match) => match[2] ?? '');
}

/** The module scripts and module preloads an HTML page names. */
export function pageScripts(html: string): string[] {
  const scripts = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map(
    (match) => match[1] ?? '',
  );
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map(
    (match) => match[1] ?? '',
  );
  return [...scripts, ...preloads];
}

/** Bytes after gzip at its default level, as a server would send them. */
export function gzippedSize(bytes: Uint8Array | string): number {
  return gzipSync(bytes).byteLength;
}
