import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BUILD = join(ROOT, 'scripts', 'build-quickstart.mjs');

function buildInto(outdir: string): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [BUILD, '--outdir', outdir], { encoding: 'utf8', timeout: 120_000 });
}

describe("npm run quickstart's bundle (scripts/build-quickstart.mjs)", () => {
  let outdir: string;

  before(async () => {
    // inside the checkout, as .cache/cli is: the bundle imports its dependencies from node_modules
    await mkdir(join(ROOT, '.cache'), { recursive: true });
    outdir = await mkdtemp(join(ROOT, '.cache', 'bundle-test-'));
  });

  after(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  test('bundles a cnnx command that runs', () => {
    const built = buildInto(outdir);
    assert.equal(built.status, 0, String(built.stderr));
    const help = spawnSync(process.execPath, [join(outdir, 'cnnx.mjs'), '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /quickstart/, 'the bundled command lists its quickstart');
  });

  test("removes an earlier build's chunks once they are ten minutes old, and keeps newer ones", async () => {
    const current = new Set(await readdir(outdir));
    assert.ok(current.has('cnnx.mjs'), 'the first test built the bundle here');
    const old = join(outdir, 'chunk-EARLIER1.mjs');
    const recent = join(outdir, 'chunk-EARLIER2.mjs');
    const foreign = join(outdir, 'notes.txt');
    await writeFile(old, 'export {};\n');
    await writeFile(recent, 'export {};\n');
    await writeFile(foreign, "a file of the user's\n");
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(old, hourAgo, hourAgo);
    await utimes(foreign, hourAgo, hourAgo);
    // this build's own files are old too, as when a build changed nothing: they stay
    for (const file of current) await utimes(join(outdir, file), hourAgo, hourAgo);

    const built = buildInto(outdir);
    assert.equal(built.status, 0, String(built.stderr));
    const remaining = new Set(await readdir(outdir));
    assert.ok(!remaining.has('chunk-EARLIER1.mjs'), 'the hour-old chunk of an earlier build is removed');
    assert.ok(
      remaining.has('chunk-EARLIER2.mjs'),
      'a chunk written a moment ago is kept (a command may be loading it)',
    );
    assert.ok(
      remaining.has('notes.txt'),
      'a file esbuild would not have named is never removed, however old',
    );
    for (const file of current) assert.ok(remaining.has(file), `this build's ${file} is kept`);
  });

  test('an unknown option: one line, exit 2, nothing built', () => {
    const run = spawnSync(process.execPath, [BUILD, '--outdir', join(outdir, 'never'), '--bogus'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /Unknown option '--bogus'/);
    assert.equal(existsSync(join(outdir, 'never')), false, 'no folder made');
  });
});
