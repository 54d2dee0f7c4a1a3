// Compiles proto/onnx.proto ahead of time into a static protobufjs module (no reflection at run time):
// src/generated/onnx.gen.js + onnx.gen.d.ts, copied to dist/generated/ for the built package.
// Skips the work when the outputs are newer than the schema. Usage: node scripts/generate-proto.mjs
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = join(root, 'proto', 'onnx.proto');
const sourceDir = join(root, 'src', 'generated');
const distDir = join(root, 'dist', 'generated');
const outputs = ['onnx.gen.js', 'onnx.gen.d.ts'];

const require = createRequire(import.meta.url);
const cliDir = dirname(require.resolve('protobufjs-cli/package.json'));

function upToDate(dir) {
  const schemaTime = statSync(schema).mtimeMs;
  return outputs.every(
    (name) => existsSync(join(dir, name)) && statSync(join(dir, name)).mtimeMs >= schemaTime,
  );
}

if (!upToDate(sourceDir)) {
  mkdirSync(sourceDir, { recursive: true });
  const js = join(sourceDir, 'onnx.gen.js');
  execFileSync(
    process.execPath,
    [
      join(cliDir, 'bin', 'pbjs'),
      '--target=static-module',
      '--wrap=es6',
      '--dependency=protobufjs/minimal.js',
      '--root=cnnx_onnx',
      '--no-verify',
      '--no-convert',
      '--no-delimited',
      '--no-typeurl',
      `--out=${js}`,
      schema,
    ],
    { stdio: 'inherit' },
  );
  execFileSync(
    process.execPath,
    [join(cliDir, 'bin', 'pbts'), '--no-comments', `--out=${join(sourceDir, 'onnx.gen.d.ts')}`, js],
    {
      stdio: 'inherit',
    },
  );
}

if (process.argv.includes('--dist') && !upToDate(distDir)) {
  mkdirSync(distDir, { recursive: true });
  for (const name of outputs) copyFileSync(join(sourceDir, name), join(distDir, name));
}
