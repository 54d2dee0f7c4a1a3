// scripts/serve.mjs as a user runs it: a real process, real HTTP on 127.0.0.1, a dist/ folder made here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { APP_DIR, startServer, temporaryDir } from './helpers.js';

const run = promisify(execFile);
const SERVE = join(APP_DIR, 'scripts', 'serve.mjs');

/** Runs serve.mjs expecting it to fail; resolves to its exit code and stderr. */
async function failingServe(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [SERVE, ...args], { timeout: 30_000 });
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
  assert.fail(`serve.mjs ${args.join(' ')} succeeded`);
}

describe('scripts/serve.mjs', () => {
  let dist = '';
  let model = '';
  let url = '';
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    const folder = await temporaryDir('cnnx-demo-serve-');
    cleanup.push(folder.remove);
    dist = join(folder.path, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>fixture</title>');
    await writeFile(join(dist, 'assets', 'app.js'), 'console.log(1);');
    await writeFile(join(folder.path, 'secret.txt'), 'outside dist');
    // The server copies and serves the model without reading it; only its first byte (ONNX's ir_version tag) is checked.
    model = join(folder.path, 'fixture.onnx');
    await writeFile(model, Uint8Array.from([0x08, 0x09, 0x12, 0x04]));
    const server = await startServer(dist, ['--model', model]);
    cleanup.unshift(server.stop);
    url = server.url;
  });
  after(async () => {
    for (const step of cleanup) await step();
  });

  it('sends the cross-origin isolation headers with every file', async () => {
    for (const path of ['', 'assets/app.js', 'model.onnx', 'ort/ort-wasm-simd-threaded.wasm']) {
      const response = await fetch(new URL(path, url));
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(response.headers.get('cross-origin-embedder-policy'), 'require-corp');
      await response.arrayBuffer();
    }
    const wasm = await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', url));
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.deepEqual(
      new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4),
      Uint8Array.from([0, 0x61, 0x73, 0x6d]),
    );
  });

  it('installs the model it was given and the held-out examples', async () => {
    const served = new Uint8Array(await (await fetch(new URL('model.onnx', url))).arrayBuffer());
    assert.deepEqual(served, new Uint8Array(await readFile(model)));
    const examples = (await (await fetch(new URL('examples.json', url))).json()) as {
      classNames: string[];
      examples: { label: number; pixels: string }[];
    };
    assert.equal(examples.classNames.length, 10);
    assert.ok(examples.examples.length >= 10);
    for (const example of examples.examples) assert.equal(Buffer.from(example.pixels, 'base64').length, 784);
    assert.deepEqual(new Set(examples.examples.map((example) => example.label)).size, 10);
  });

  it('answers 404 outside dist/ and for missing files, 405 for other methods', async () => {
    const outside = await fetch(`${url}..%2fsecret.txt`);
    assert.equal(outside.status, 404);
    assert.doesNotMatch(await outside.text(), /outside dist/);
    assert.equal((await fetch(new URL('nope.js', url))).status, 404);
    const post = await fetch(url, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    await post.text();
  });

  it('refuses a missing model, a file that is not ONNX and a bad port with one line', async () => {
    const missing = await failingServe(['--dist', dist, '--port', '0', '--model', '/nonexistent/model.onnx']);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^cnnx demo: model \/nonexistent\/model\.onnx does not exist; expected an \.onnx file\n$/,
    );
    const notOnnx = await failingServe(['--dist', dist, '--port', '0', '--model', join(dist, 'index.html')]);
    assert.equal(notOnnx.code, 1);
    assert.match(notOnnx.stderr, /index\.html is not an ONNX file/);
    const port = await failingServe(['--dist', dist, '--port', 'eighty']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port eighty is not a port; expected an integer from 0 to 65535/);
  });
});
