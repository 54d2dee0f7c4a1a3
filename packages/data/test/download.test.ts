import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createRandom,
  DatasetNotFoundError,
  DownloadError,
  type DownloadProgress,
  downloadFile,
  loadDataset,
} from '../src/index.js';

const random = createRandom(2024);
const content = Uint8Array.from({ length: 300_000 }, () => random.integer(256));
const md5 = createHash('md5').update(content).digest('hex');
const sha256 = createHash('sha256').update(content).digest('hex');

let server: Server;
let base = '';
let folder = '';
const requests: { path: string; range: string | undefined }[] = [];
let cutsLeft = 0;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cnnx-download-'));
  server = createServer((request, response) => {
    const path = request.url ?? '';
    const range = request.headers.range;
    requests.push({ path, range });
    if (path.startsWith('/missing/')) {
      response.writeHead(404).end('not here');
      return;
    }
    const body = path.startsWith('/corrupt/') ? content.map((byte) => byte ^ 1) : content;
    const start = range ? Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
    const headers = { 'content-length': String(body.length - start), 'accept-ranges': 'bytes' };
    if (range) {
      response.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
    } else response.writeHead(200, headers);
    if (path.startsWith('/cut/') && cutsLeft > 0) {
      cutsLeft -= 1;
      // send a third of what was promised, then drop the connection
      response.write(body.subarray(start, start + Math.floor((body.length - start) / 3)), () => {
        setTimeout(() => request.socket.destroy(), 20);
      });
      return;
    }
    response.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(folder, { recursive: true, force: true });
});

describe('downloadFile (loopback HTTP server)', () => {
  it('downloads, verifies MD5 and SHA-256, reports progress and leaves no temporary file', async () => {
    const destination = join(folder, 'ok', 'data.bin');
    const progress: DownloadProgress[] = [];
    const result = await downloadFile({
      urls: [`${base}/good/data.bin`],
      destination,
      md5,
      sha256,
      onProgress: (update) => progress.push(update),
    });
    assert.equal(result.sha256, sha256);
    assert.deepEqual(new Uint8Array(await readFile(destination)), content);
    assert.ok(progress.length > 0);
    assert.equal(progress.at(-1)!.receivedBytes, content.length);
    assert.equal(progress.at(-1)!.totalBytes, content.length);
    assert.deepEqual(await readdir(join(folder, 'ok')), ['data.bin']);
  });

  it('rejects a file whose checksum does not match and caches nothing', async () => {
    const destination = join(folder, 'corrupt', 'data.bin');
    await assert.rejects(
      downloadFile({ urls: [`${base}/corrupt/data.bin`], destination, md5, backoffMs: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof DownloadError);
        assert.match(
          error.message,
          new RegExp(`data\\.bin: every mirror failed .*MD5 [0-9a-f]{32}, expected ${md5}`),
        );
        return true;
      },
    );
    assert.deepEqual(await readdir(join(folder, 'corrupt')), []);
  });

  it('moves on to the second mirror after a 404 on the first', async () => {
    requests.length = 0;
    const destination = join(folder, 'mirror', 'data.bin');
    const result = await downloadFile({
      urls: [`${base}/missing/data.bin`, `${base}/good/data.bin`],
      destination,
      sha256,
      backoffMs: 1,
    });
    assert.equal(result.url, `${base}/good/data.bin`);
    assert.deepEqual(
      requests.map((request) => request.path),
      ['/missing/data.bin', '/good/data.bin'],
      'a 404 is not retried',
    );
    await access(destination);
  });

  it('resumes with a Range request after the connection is cut mid-file, then verifies', async () => {
    requests.length = 0;
    cutsLeft = 2;
    const destination = join(folder, 'cut', 'data.bin');
    await downloadFile({ urls: [`${base}/cut/data.bin`], destination, md5, sha256, backoffMs: 1 });
    assert.deepEqual(new Uint8Array(await readFile(destination)), content);
    assert.equal(requests.length, 3);
    assert.equal(requests[0]!.range, undefined);
    assert.match(requests[1]!.range ?? '', /^bytes=[1-9]\d*-$/);
    assert.match(requests[2]!.range ?? '', /^bytes=[1-9]\d*-$/);
  });

  it('makes a named dataset say which files are missing when every mirror fails', async () => {
    await assert.rejects(
      loadDataset('mnist', {
        split: 'test',
        cacheDir: join(folder, 'cache'),
        systemDir: join(folder, 'system'),
        mirrors: [`${base}/missing/`],
        retries: 1,
        backoffMs: 1,
      }),
      (error: unknown) => {
        assert.ok(error instanceof DatasetNotFoundError);
        assert.deepEqual(error.missing, ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
        assert.match(error.message, /HTTP 404/);
        return true;
      },
    );
  });
});
