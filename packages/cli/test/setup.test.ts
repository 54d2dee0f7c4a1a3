import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnCnnxAsync } from './helpers/spawn-cnnx.js';

const require = createRequire(import.meta.url);
const binaries = join(
  dirname(dirname(require.resolve('onnxruntime-node'))),
  'bin',
  'napi-v6',
  process.platform,
  process.arch,
);
const hasCudaDownload = process.platform === 'linux' && process.arch === 'x64';

/**
 * A loopback HTTP proxy that records the CONNECT requests it receives (the host a client wanted to reach
 * over HTTPS) and refuses every one, so nothing leaves this machine.
 */
let proxy: Server;
let proxyUrl = '';
const tunnels: string[] = [];

before(async () => {
  proxy = createServer((_request, response) => {
    response.writeHead(403).end();
  });
  proxy.on('connect', (request, socket) => {
    tunnels.push(request.url ?? '');
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => proxy.close(resolve));
});

/** The environment without any proxy settings of the machine running the tests. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(GLOBAL_AGENT_|HTTPS?_PROXY$|NO_PROXY$)/i.test(name)) delete env[name];
  }
  return env;
}

describe('cnnx setup cuda', { skip: hasCudaDownload ? false : 'no CUDA download for this platform' }, () => {
  test("runs onnxruntime-node's installer, whose refused download is one line and exit 1", async () => {
    const before = await readdir(binaries);
    tunnels.length = 0;
    const env = { ...cleanEnvironment(), GLOBAL_AGENT_HTTPS_PROXY: proxyUrl };
    const { code, stdout, stderr } = await spawnCnnxAsync(tmpdir(), ['setup', 'cuda', '--force'], env);

    // the installer really ran: its request for NuGet's index came through the proxy
    assert.deepEqual(tunnels, ['api.nuget.org:443']);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    const lines = stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, stderr);
    assert.match(
      lines[0]!,
      /^cnnx: onnxruntime-node's installer could not fetch the CUDA provider: Proxy server refused connecting to 'api\.nuget\.org:443' \(HTTP\/1\.1 403 Forbidden\); this machine must reach https:\/\/api\.nuget\.org \(behind a proxy, set HTTPS_PROXY=http:\/\/HOST:PORT\), then try again$/,
    );
    // and left onnxruntime-node as it was
    assert.deepEqual(await readdir(binaries), before);
  });

  test('passes the usual HTTPS_PROXY on to the installer', async () => {
    tunnels.length = 0;
    const env = { ...cleanEnvironment(), HTTPS_PROXY: proxyUrl };
    const { code, stderr } = await spawnCnnxAsync(tmpdir(), ['setup', 'cuda', '--force', '--json'], env);
    assert.deepEqual(tunnels, ['api.nuget.org:443']);
    assert.equal(code, 1);
    assert.equal(stderr.trim().split('\n').length, 1);
  });
});

test('cnnx setup takes only the targets it knows: one line, exit 2', async () => {
  const { code, stderr } = await spawnCnnxAsync(tmpdir(), ['setup', 'rocm']);
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.match(stderr, /'rocm' is invalid .*expected one of cuda/);
});
