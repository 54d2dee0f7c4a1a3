// Issue 20, defect 2: the threaded wasm backend's worker script used to go to a predictable
// /tmp/cnnx-tfjs-wasm-<version>-worker.js.<pid>.tmp, written through any symbolic link planted there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const setupModule = fileURLToPath(new URL('../src/kernels/wasm-setup.ts', import.meta.url));
const version = (
  createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }
).version;

let temp = '';
let owned = '';

before(async () => {
  temp = await mkdtemp(join(tmpdir(), 'cnnx-tmpdir-'));
  owned = await mkdtemp(join(tmpdir(), 'cnnx-owned-'));
});
after(async () => {
  await rm(temp, { recursive: true, force: true });
  await rm(owned, { recursive: true, force: true });
});

test('starting the threaded wasm backend follows no planted link and leaves nothing in the temp folder', async () => {
  const secret = join(owned, 'secret');
  await writeFile(secret, 'root only', { mode: 0o600 });
  // what a second local user plants: links at the old predictable names, for the next process ids
  const probe = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const next = Number(probe.stdout.trim()) + 1;
  const base = join(temp, `cnnx-tfjs-wasm-${version}-worker.js`);
  const planted = [base, ...Array.from({ length: 400 }, (_, index) => `${base}.${next + index}.tmp`)];
  for (const path of planted) await symlink(secret, path);

  const script = `
    import { useWasmTrainingBackend, wasmThreadsCount } from ${JSON.stringify(setupModule)};
    await useWasmTrainingBackend({ threads: 2 });
    console.log(JSON.stringify({ threads: wasmThreadsCount() }));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TMPDIR: temp },
  });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}').threads, 2);

  assert.equal(await readFile(secret, 'utf8'), 'root only');
  assert.equal((await stat(secret)).mode & 0o777, 0o600);
  // only the planted links remain: no *.tmp of cnnx's, and its private folder is gone after exit (tsx keeps
  // its own cache there)
  assert.deepEqual(
    (await readdir(temp)).filter((name) => name.startsWith('cnnx')).sort(),
    planted.map((path) => path.slice(temp.length + 1)).sort(),
  );
});
