#!/usr/bin/env node
// Serves the built demo (apps/demo/dist) on http://127.0.0.1:5173 with the headers that make the page
// cross-origin isolated (so onnxruntime-web's wasm can use threads), after making sure dist/ holds the model,
// the gallery's held-out digits and onnxruntime-web's .wasm files.
//
//   node apps/demo/scripts/serve.mjs [--model FILE] [--port N] [--host ADDRESS]
//   CNNX_MODEL=FILE npm run demo
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { APP_DIR, copyOrtRuntime, findModel, installModel, runQuickstart, writeExamples } from './assets.mjs';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function fail(message) {
  console.error(`cnnx demo: ${message}`);
  process.exit(1);
}

function parseOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        model: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        dist: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`cnnx demo: ${error.message}; usage: serve.mjs [--model FILE] [--port N] [--host ADDRESS]`);
    process.exit(2);
  }
  const { values } = parsed;
  if (values.help) {
    console.log('usage: node apps/demo/scripts/serve.mjs [--model FILE] [--port N] [--host ADDRESS]\n');
    console.log('example: CNNX_MODEL=runs/quickstart/model.onnx npm run demo');
    process.exit(0);
  }
  const portText = values.port ?? process.env.PORT ?? '5173';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`cnnx demo: --port ${portText} is not a port; expected an integer from 0 to 65535`);
    process.exit(2);
  }
  return {
    model: values.model ?? process.env.CNNX_MODEL,
    port,
    host: values.host ?? '127.0.0.1',
    dist: resolve(values.dist ?? join(APP_DIR, 'dist')),
  };
}

/** Makes sure dist/ holds everything the page fetches; trains the quickstart model when there is none. */
async function prepareDist(options) {
  const index = await stat(join(options.dist, 'index.html')).catch(() => undefined);
  if (!index)
    fail(`${options.dist}/index.html is missing; build the demo first (npm run build -w @cnnx/demo)`);
  await copyOrtRuntime(options.dist);
  // The model named now (--model, CNNX_MODEL) wins, then the quickstart's; a model installed at build time is
  // kept only when neither exists, and the quickstart runs when there is no model at all.
  let model = await findModel(options.model);
  const served = join(options.dist, 'model.onnx');
  if (model === null && !(await stat(served).catch(() => undefined))) model = await runQuickstart();
  if (model !== null) await installModel(model, options.dist);
  console.error(`cnnx demo: serving the model ${model ?? served}`);
  await writeExamples(options.dist);
}

/** Maps a request path to a file under dist/, refusing anything that escapes it. */
function fileFor(dist, url) {
  const path = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  const relative = normalize(path === '/' ? '/index.html' : path).replace(/^([/\\])+/, '');
  const file = join(dist, relative);
  return file === dist || file.startsWith(dist + sep) ? file : null;
}

function serve(options) {
  const server = createServer(async (request, response) => {
    const send = (status, text) => {
      response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...ISOLATION_HEADERS });
      response.end(request.method === 'HEAD' ? undefined : `${text}\n`);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      send(405, `${request.method} is not allowed; expected GET or HEAD`);
      return;
    }
    let file;
    try {
      file = fileFor(options.dist, request.url ?? '/');
    } catch {
      send(400, `${request.url} is not a valid path`);
      return;
    }
    const info = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !info?.isFile()) {
      send(404, `${request.url} not found`);
      return;
    }
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': file.includes(`${sep}assets${sep}`)
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
      ...ISOLATION_HEADERS,
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    createReadStream(file)
      .on('error', () => response.destroy())
      .pipe(response);
  });
  server.on('error', (error) => {
    if (error.code === 'EADDRINUSE')
      fail(`port ${options.port} is in use; pass --port N (or PORT=N) for another`);
    fail(error.message);
  });
  server.listen(options.port, options.host, () => {
    const { port } = server.address();
    console.log(`http://${options.host}:${port}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const options = parseOptions();
try {
  await prepareDist(options);
} catch (error) {
  fail(error.message);
}
serve(options);
