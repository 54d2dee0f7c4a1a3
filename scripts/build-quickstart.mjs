// Bundles the `cnnx` command from the TypeScript sources with esbuild into .cache/cli/ (about 1 s), so that
// `npm run quickstart` on a fresh clone does not wait for tsc to build every package (about 46 s here).
// `npm run build` and the tests still build with tsc; this bundle only serves the quickstart.
// The chunks' names carry their content's hash, so each build that changed something writes new files
// beside the old ones; the files of earlier builds are removed once they are ten minutes old (a command
// started from an earlier build may still be loading its chunks).
// The workspace packages (@cnnx/*) are bundled from src/ as their package.json "exports" map them; every
// other package stays an import, resolved from node_modules at run time.
// `--outdir DIR` bundles into DIR instead (the tests build there).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
let values;
try {
  ({ values } = parseArgs({ options: { outdir: { type: 'string' } } }));
} catch (error) {
  process.stderr.write(`build-quickstart: ${error.message} (usage: build-quickstart.mjs [--outdir DIR])\n`);
  process.exit(2);
}
const outdir = values.outdir === undefined ? join(root, '.cache', 'cli') : resolve(values.outdir);

/** `@cnnx/name/sub` → the source file behind the package's `exports` entry for it (the node condition). */
function workspaceSource(specifier) {
  const [scope, name, ...rest] = specifier.split('/');
  const folder = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const entry = manifest.exports?.[rest.length === 0 ? '.' : `./${rest.join('/')}`];
  const target = typeof entry === 'string' ? entry : (entry?.node ?? entry?.default);
  if (typeof target !== 'string' || !target.startsWith('./dist/')) {
    throw new Error(`${scope}/${name}: no export for '${specifier}'`);
  }
  return join(folder, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

const workspaces = {
  name: 'workspaces-from-source',
  setup(context) {
    context.onResolve({ filter: /^@cnnx\// }, (args) => ({ path: workspaceSource(args.path) }));
    // every other bare import stays external (native bindings, wasm files and workers stay where npm put them)
    context.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'entry-point' ? undefined : { external: true },
    );
  },
};

const started = performance.now();
// @cnnx/export's ONNX protobuf code is generated (src/generated/, as its own build does first)
const generated = spawnSync(process.execPath, ['scripts/generate-proto.mjs'], {
  cwd: join(root, 'packages', 'export'),
  stdio: 'inherit',
});
if (generated.status !== 0) process.exit(generated.status ?? 1);
const result = await build({
  entryPoints: { cnnx: join(root, 'packages', 'cli', 'src', 'bin.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [workspaces],
  logLevel: 'warning',
  metafile: true,
  absWorkingDir: root,
});
const written = new Set(
  Object.keys(result.metafile.outputs).map((file) => relative(outdir, join(root, file))),
);
// Only the files esbuild names here (`<name>-<8-character hash>.mjs`) are ever removed, whatever else the
// folder holds.
const chunkName = /^[\w-]+-[A-Z0-9]{8}\.mjs$/;
const stale = Date.now() - 10 * 60 * 1000;
for (const file of readdirSync(outdir)) {
  if (written.has(file) || !chunkName.test(file)) continue;
  const path = join(outdir, file);
  const stats = statSync(path);
  if (stats.isFile() && stats.mtimeMs < stale) rmSync(path, { force: true });
}
process.stderr.write(
  `built ${values.outdir === undefined ? '.cache/cli/cnnx.mjs' : join(outdir, 'cnnx.mjs')} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
