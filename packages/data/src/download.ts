import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { basename, dirname } from 'node:path';
import { DownloadError } from './errors.js';

/** Progress of one file's download. */
export interface DownloadProgress {
  file: string;
  url: string;
  receivedBytes: number;
  /** Total size when the server says it, otherwise undefined. */
  totalBytes: number | undefined;
}

/** Options of {@link downloadFile}. */
export interface DownloadOptions {
  /** Full URLs of the same file, tried in order. */
  urls: string[];
  /** Where the verified file ends up. */
  destination: string;
  /** Published checksums (lowercase hex); at least one should be given. */
  md5?: string;
  sha256?: string;
  /** Attempts per mirror for failures worth retrying (cuts, timeouts, 5xx). Default 3. */
  retries?: number;
  /** First back-off delay in ms, doubled after each failed attempt. Default 500. */
  backoffMs?: number;
  /** A connection idle this long is abandoned and retried. Default 30 s. */
  timeoutMs?: number;
  onProgress?: (progress: DownloadProgress) => void;
}

class AttemptError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

/**
 * Downloads a file from the first mirror that delivers it intact: each attempt resumes the partial file
 * with an HTTP Range request when the server allows, failures worth retrying are retried with doubling
 * back-off, the file is verified against its published MD5/SHA-256, and only then renamed into place.
 * A file that fails verification is deleted and the next mirror is tried.
 *
 * @example
 * await downloadFile({
 *   urls: ['https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz'],
 *   destination: `${cache}/mnist/t10k-labels-idx1-ubyte.gz`,
 *   md5: 'ec29112dd5afa0611ce80d1b7f02629c',
 *   onProgress: ({ receivedBytes, totalBytes }) => bar.update(receivedBytes, { total: totalBytes }),
 * });
 */
export async function downloadFile(options: DownloadOptions): Promise<{ url: string; sha256: string }> {
  const { urls, destination, retries = 3, backoffMs = 500, timeoutMs = 30_000 } = options;
  if (urls.length === 0) throw new RangeError(`'urls' must list at least one mirror`);
  await mkdir(dirname(destination), { recursive: true });
  const partial = `${destination}.part`;
  const file = basename(destination);
  const attempts: { url: string; reason: string }[] = [];
  for (const url of urls) {
    await rm(partial, { force: true }); // a different mirror's partial bytes are not to be trusted
    for (let attempt = 1; attempt <= retries; attempt += 1) {
      try {
        await fetchInto(url, partial, file, timeoutMs, options.onProgress);
        const digests = await digestsOf(partial);
        if (options.md5 && digests.md5 !== options.md5) {
          throw new AttemptError(`MD5 ${digests.md5}, expected ${options.md5}`, false);
        }
        if (options.sha256 && digests.sha256 !== options.sha256) {
          throw new AttemptError(`SHA-256 ${digests.sha256}, expected ${options.sha256}`, false);
        }
        await rename(partial, destination);
        return { url, sha256: digests.sha256 };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const retry = error instanceof AttemptError ? error.retry : true;
        if (!retry || attempt === retries) {
          attempts.push({ url, reason });
          await rm(partial, { force: true });
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
      }
    }
  }
  throw new DownloadError(file, attempts);
}

/** One HTTP attempt: appends to `partial` from where it stopped when the server answers 206. */
async function fetchInto(
  url: string,
  partial: string,
  file: string,
  timeoutMs: number,
  onProgress: DownloadOptions['onProgress'],
): Promise<void> {
  const have = await stat(partial).then(
    (info) => info.size,
    () => 0,
  );
  const client = url.startsWith('https:') ? https : http;
  await new Promise<void>((resolve, reject) => {
    const request = client.get(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} }, (response) => {
      const status = response.statusCode ?? 0;
      if (status === 416 && have > 0) {
        // the partial file is already complete
        response.resume();
        resolve();
        return;
      }
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        reject(new AttemptError(`redirected to ${response.headers.location}`, false));
        return;
      }
      if (status !== 200 && status !== 206) {
        response.resume();
        reject(new AttemptError(`HTTP ${status}`, status >= 500 || status === 408 || status === 429));
        return;
      }
      const resumed = status === 206;
      const length = Number(response.headers['content-length']);
      const expected = Number.isFinite(length) ? length : undefined;
      const totalBytes = expected === undefined ? undefined : expected + (resumed ? have : 0);
      let receivedBytes = resumed ? have : 0;
      let bodyBytes = 0;
      const output = createWriteStream(partial, { flags: resumed ? 'a' : 'w' });
      response.on('data', (chunk: Buffer) => {
        receivedBytes += chunk.length;
        bodyBytes += chunk.length;
        onProgress?.({ file, url, receivedBytes, totalBytes });
      });
      response.on('aborted', () => output.destroy(new AttemptError('connection cut', true)));
      response.on('error', (error) => output.destroy(error));
      output.on('error', (error) =>
        reject(error instanceof AttemptError ? error : new AttemptError(error.message, true)),
      );
      output.on('finish', () => {
        if (expected !== undefined && bodyBytes < expected) {
          reject(new AttemptError(`connection cut after ${receivedBytes} of ${totalBytes} bytes`, true));
        } else resolve();
      });
      response.pipe(output);
    });
    request.setTimeout(timeoutMs, () =>
      request.destroy(new AttemptError(`no data for ${timeoutMs} ms`, true)),
    );
    request.on('error', (error) =>
      reject(error instanceof AttemptError ? error : new AttemptError(error.message, true)),
    );
  });
}

async function digestsOf(path: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    md5.update(chunk as Buffer);
    sha.update(chunk as Buffer);
  }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
}
