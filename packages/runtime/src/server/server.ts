import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { pino } from 'pino';
import { DynamicBatcher, type RunBatch } from './batcher.js';
import { registerClassifyRoute } from './classify.js';
import { HttpError } from './errors.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { describeModel, encodeInferResponse, type ModelSignature, parseInferRequest } from './protocol.js';
import type { ServedTensor, ServerOptions } from './types.js';

/** A running (or ready to run) cnnx inference server. */
export interface CnnxServer {
  /** The Fastify instance, for `inject` in tests or extra routes. */
  readonly app: FastifyInstance;
  /** The served model as the protocol describes it. */
  readonly model: ModelSignature;
  readonly metrics: ServerMetrics;
  /** Whether `/v2/health/ready` answers 200: the model can run and no shutdown has begun. */
  readonly ready: boolean;
  /** Starts listening (127.0.0.1 and a free port unless told otherwise) and resolves with the base URL. */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /**
   * Graceful stop: readiness turns 503 at once, new connections are refused after `drainDelayMs`, requests
   * in flight finish. Resolves `true` when all finished within `timeoutMs`, `false` when some were cut off.
   */
  shutdown(options?: { timeoutMs?: number; drainDelayMs?: number }): Promise<boolean>;
}

const DEFAULTS = {
  name: 'mnist',
  maxBatch: 64,
  maxDelayMs: 2,
  maxQueue: 1024,
  maxBodyBytes: 16 * 1024 * 1024,
  maxImagePixels: 4096 * 4096,
  maxFiles: 64,
  topK: 3,
};

const HEALTH_ROUTES = new Set(['/v2/health/live', '/v2/health/ready']);
const MODEL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Creates an Open Inference Protocol v2 server (KServe / Triton HTTP) for one model: health, server and
 * model metadata, JSON and binary-tensor inference with dynamic batching, Triton's classification
 * extension, image classification uploads and Prometheus metrics. It never reads a path or loads a model
 * because of a request: the model is given here.
 *
 * @example
 * const classifier = await Classifier.load('mnist.onnx', { threads: 1 });
 * const server = createServer({ model: classifier, name: 'mnist' });
 * const url = await server.listen({ port: 8000 }); // 'http://127.0.0.1:8000'
 * // curl -s $url/v2/models/mnist → {"name":"mnist","versions":["1"],"platform":"onnxruntime_onnx",...}
 * process.once('SIGTERM', () => server.shutdown({ timeoutMs: 10_000 }));
 */
export function createServer(options: ServerOptions): CnnxServer {
  const settings = { ...DEFAULTS, ...withoutUndefined(options) };
  const { model: served, token } = settings;
  if (!served || typeof served.run !== 'function' || !served.info) {
    throw new TypeError(`'model' must be a loaded Classifier (with info and run), got ${typeof served}`);
  }
  if (!MODEL_NAME.test(settings.name)) {
    throw new TypeError(`'name' must be 1-128 letters, digits, '_', '.' or '-', got '${settings.name}'`);
  }
  if (token !== undefined && token.length === 0) throw new TypeError(`'token' must not be empty`);
  const model = describeModel(settings.name, served.info, served.info.scale ?? 'unit');
  if (model.inputs.some((input) => input.datatype !== 'FP32')) {
    throw new TypeError(
      `the model's inputs must all be float32 to be served, got ${model.inputs.map((i) => `${i.name}: ${i.datatype}`).join(', ')}`,
    );
  }

  const runBatch: RunBatch = async (inputs, count) => {
    const feeds: Record<string, ServedTensor> = {};
    model.inputs.forEach((input, index) => {
      feeds[input.name] = {
        type: 'float32',
        dims: [count, ...input.shape.slice(1)],
        data: inputs[index] as Float32Array,
      };
    });
    let results: Record<string, ServedTensor>;
    try {
      results = await served.run(feeds);
    } catch (error) {
      throw unavailable() ?? error;
    }
    return model.outputs.map((output) => {
      const data = results[output.name]?.data;
      if (!ArrayBuffer.isView(data)) throw new Error(`the model returned no tensor '${output.name}'`);
      return data as unknown as ArrayLike<number | bigint>;
    });
  };
  let metrics: ServerMetrics | undefined;
  const batcher = new DynamicBatcher(runBatch, {
    maxBatch: settings.maxBatch,
    maxDelayMs: settings.maxDelayMs,
    maxQueue: settings.maxQueue,
    onBatch: (stats) => {
      metrics?.batchSize.observe(stats.images);
      metrics?.inferenceTime.observe(stats.inferenceSeconds);
    },
  });
  let draining = false;
  let inFlight = 0;
  let failureReported = false;
  /** A 503 when the model can no longer run (reported once to the log and `onModelFailure`), else undefined. */
  const unavailable = (): HttpError | undefined => {
    const failure = served.failure;
    if (failure === undefined) return undefined;
    if (!failureReported) {
      failureReported = true;
      app.log.error({ err: failure }, 'the model can no longer run');
      settings.onModelFailure?.(failure);
    }
    return new HttpError(503, `model '${model.name}' cannot run: ${failure.message}`);
  };
  metrics = createMetrics(
    () => batcher.depth,
    () => inFlight,
  );
  const serverMetrics = metrics;

  const app = Fastify({
    ...loggerOptions(settings.logger, settings.logLevel),
    bodyLimit: settings.maxBodyBytes,
    // Per-request lines are written by the onResponse hook below at debug level.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
  });

  // Callback-style hooks: no promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    inFlight++;
    reply.header('x-request-id', request.id);
    if (token !== undefined && !HEALTH_ROUTES.has(request.url)) {
      const failure = checkToken(request.headers.authorization, token);
      if (failure !== undefined) {
        reply.code(401).header('www-authenticate', 'Bearer').send({ error: failure });
        return;
      }
    }
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    // While draining, every answer closes its connection, so keep-alive clients move elsewhere.
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    inFlight--;
    if (draining && inFlight === 0) setImmediate(() => app.server.closeIdleConnections());
    const route = request.routeOptions.url ?? 'unmatched';
    serverMetrics.observeRequest(route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.debug(
      { route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = statusOf(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status, error: error.message }, 'request refused');
    reply.code(status).send({ error: describe(error, status, request, settings.maxBodyBytes) });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  const findModel = (request: FastifyRequest): ModelSignature => {
    const { name, version } = request.params as { name: string; version?: string };
    if (name !== model.name) {
      throw new HttpError(404, `unknown model '${name}'; this server serves '${model.name}'`);
    }
    if (version !== undefined && version !== model.version) {
      throw new HttpError(
        404,
        `unknown version '${version}' of model '${name}'; this server serves version ${model.version}`,
      );
    }
    return model;
  };
  const requireReady = (): void => {
    if (draining) throw new HttpError(503, 'server is shutting down');
    const failure = unavailable();
    if (failure) throw failure;
  };

  app.get('/v2/health/live', async (_request, reply) => {
    // a model that stopped for good needs a new process: failing liveness gets one from a supervisor
    const failure = unavailable();
    if (failure) return reply.code(503).send({ live: false, error: failure.message });
    return { live: true };
  });
  app.get('/v2/health/ready', async (_request, reply) => {
    if (draining) return reply.code(503).send({ ready: false, error: 'server is shutting down' });
    const failure = unavailable();
    if (failure) return reply.code(503).send({ ready: false, error: failure.message });
    return { ready: true };
  });
  app.get('/v2', async () => ({
    name: 'cnnx',
    version: settings.version ?? '0.1.0',
    extensions: ['binary_tensor_data', 'classification', 'cnnx_image_classify'],
  }));
  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, async (request) => {
      const found = findModel(request);
      return {
        name: found.name,
        versions: [found.version],
        platform: 'onnxruntime_onnx',
        inputs: found.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
        outputs: found.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      };
    });
    app.get(`${prefix}/ready`, async (request, reply) => {
      const found = findModel(request);
      if (draining || unavailable()) return reply.code(503).send({ name: found.name, ready: false });
      return { name: found.name, ready: true };
    });
  }

  app.register(async (scope) => {
    // Inference bodies are parsed by the protocol code from the raw bytes: JSON, or a JSON header
    // followed by binary tensors. Every content type is read as bytes.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const infer = async (request: FastifyRequest, reply: FastifyReply) => {
      const found = findModel(request);
      requireReady();
      const body = request.body;
      if (!Buffer.isBuffer(body)) {
        throw new HttpError(400, 'request body is empty; expected a JSON inference request');
      }
      const parsed = parseInferRequest(body, request.headers['inference-header-content-length'], found);
      const timeoutMs = parsed.timeoutMs ?? headerTimeout(request);
      const result = await batcher.submit(parsed.inputs, parsed.count, timeoutMs);
      serverMetrics.queueTime.observe(result.queueSeconds);
      const encoded = encodeInferResponse(found, parsed, result.outputs);
      if (encoded.headerLength === undefined) {
        reply.type('application/json; charset=utf-8');
      } else {
        reply
          .type('application/octet-stream')
          .header('inference-header-content-length', encoded.headerLength);
      }
      return reply.send(encoded.body);
    };
    scope.post('/v2/models/:name/infer', infer);
    scope.post('/v2/models/:name/versions/:version/infer', infer);
  });

  app.register(async (scope) => {
    await registerClassifyRoute(scope, {
      model: served,
      findModel,
      requireReady,
      maxBodyBytes: settings.maxBodyBytes,
      maxImagePixels: settings.maxImagePixels,
      maxFiles: settings.maxFiles,
      topK: settings.topK,
      maxConcurrent: settings.maxQueue,
    });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(serverMetrics.registry.contentType);
    return serverMetrics.registry.metrics();
  });

  return {
    app,
    model,
    metrics: serverMetrics,
    get ready() {
      return !draining && served.failure === undefined;
    },
    async listen({ host = '127.0.0.1', port = 0 } = {}) {
      await app.listen({ host, port });
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      app.log.info({ host, port: bound, model: model.name }, 'listening');
      return `http://${shown}:${bound}`;
    },
    async shutdown({ timeoutMs = 10_000, drainDelayMs = 0 } = {}) {
      if (draining) return app.close().then(() => true);
      draining = true;
      app.log.info({ inFlight, timeoutMs, drainDelayMs }, 'shutting down');
      if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const finished = await Promise.race([app.close().then(() => true as const), expired]);
      clearTimeout(timer);
      if (!finished) {
        app.log.warn({ inFlight }, 'shutdown timed out; closing the remaining connections');
        app.server.closeAllConnections();
      } else {
        app.log.info('stopped');
      }
      return finished;
    },
  };
}

function loggerOptions(logger: ServerOptions['logger'], level: ServerOptions['logLevel']) {
  if (logger) return { loggerInstance: logger as FastifyBaseLogger };
  if (level === undefined || level === 'silent') return { logger: false };
  return { loggerInstance: pino({ level, base: { service: 'cnnx' } }) as FastifyBaseLogger };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

function checkToken(header: string | undefined, token: string): string | undefined {
  if (header === undefined) return 'missing Authorization header; expected "Bearer <token>"';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return 'Authorization header is not "Bearer <token>"';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!timingSafeEqual(digest(match[1] as string), digest(token))) return 'wrong bearer token';
  return undefined;
}

function headerTimeout(request: FastifyRequest): number | undefined {
  const header = request.headers['x-timeout-ms'];
  if (header === undefined) return undefined;
  const value = Number(header);
  if (typeof header !== 'string' || !(value > 0)) {
    throw new HttpError(400, `header x-timeout-ms '${header}' must be a positive number of milliseconds`);
  }
  return value;
}

function statusOf(error: FastifyError): number {
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

function describe(error: FastifyError, status: number, request: FastifyRequest, limit: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body is larger than the limit of ${limit} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `content-type '${request.headers['content-type'] ?? ''}' is not accepted by ${request.method} ${request.url.split('?')[0]}${request.url.includes('/classify') ? '; expected image/png, image/jpeg, image/webp or multipart/form-data' : ''}`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty';
  }
  if (status >= 500 && !(error instanceof HttpError)) return 'internal server error';
  return (error.message.split('\n')[0] ?? error.name).trim();
}
