/**
 * `createServer`: one model behind the Open Inference Protocol v2. The jobs live beside it: the request
 * hooks (token, draining, metrics) in `request-hooks.ts`, error answers in `error-replies.ts`, health and
 * metadata in `model-routes.ts`, inference and batching in `infer-route.ts`, image uploads in `classify.ts`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { pino } from 'pino';
import { registerClassifyRoute } from './classify.js';
import { registerErrorReplies } from './error-replies.js';
import { createModelBatcher, registerInferRoutes } from './infer-route.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { modelAvailability, modelLookup, readinessCheck, registerModelRoutes } from './model-routes.js';
import { describeModel, type ModelSignature } from './protocol.js';
import { registerRequestHooks, type ServerState } from './request-hooks.js';
import type { ServerOptions } from './types.js';

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

  const state: ServerState = { draining: false, inFlight: 0 };
  const app = Fastify({
    ...loggerOptions(settings.logger, settings.logLevel),
    bodyLimit: settings.maxBodyBytes,
    // Per-request lines are written by the onResponse hook at debug level.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
  });
  const unavailable = modelAvailability(served, model.name, (failure) => {
    app.log.error({ err: failure }, 'the model can no longer run');
    settings.onModelFailure?.(failure);
  });
  const metrics = createMetrics(
    () => batcher.depth,
    () => state.inFlight,
  );
  const batcher = createModelBatcher(served, model, settings, metrics, unavailable);
  const findModel = modelLookup(model);
  const requireReady = readinessCheck(state, unavailable);

  registerRequestHooks(app, { token, state, metrics });
  registerErrorReplies(app, settings.maxBodyBytes);
  registerModelRoutes(app, {
    model,
    state,
    unavailable,
    findModel,
    version: settings.version ?? '0.1.0',
  });
  app.register((scope) => registerInferRoutes(scope, { findModel, requireReady, batcher, metrics }));
  app.register((scope) =>
    registerClassifyRoute(scope, {
      model: served,
      findModel,
      requireReady,
      maxBodyBytes: settings.maxBodyBytes,
      maxImagePixels: settings.maxImagePixels,
      maxFiles: settings.maxFiles,
      topK: settings.topK,
      maxConcurrent: settings.maxQueue,
    }),
  );
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return {
    app,
    model,
    metrics,
    get ready() {
      return !state.draining && served.failure === undefined;
    },
    async listen({ host = '127.0.0.1', port = 0 } = {}) {
      await app.listen({ host, port });
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      app.log.info({ host, port: bound, model: model.name }, 'listening');
      return `http://${shown}:${bound}`;
    },
    shutdown: (stop) => shutdown(app, state, stop),
  };
}

/** Readiness turns 503 at once; after `drainDelayMs` the listener closes and requests in flight finish. */
async function shutdown(
  app: FastifyInstance,
  state: ServerState,
  { timeoutMs = 10_000, drainDelayMs = 0 }: { timeoutMs?: number; drainDelayMs?: number } = {},
): Promise<boolean> {
  if (state.draining) return app.close().then(() => true);
  state.draining = true;
  app.log.info({ inFlight: state.inFlight, timeoutMs, drainDelayMs }, 'shutting down');
  if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const finished = await Promise.race([app.close().then(() => true as const), expired]);
  clearTimeout(timer);
  if (!finished) {
    app.log.warn({ inFlight: state.inFlight }, 'shutdown timed out; closing the remaining connections');
    app.server.closeAllConnections();
  } else {
    app.log.info('stopped');
  }
  return finished;
}

function loggerOptions(logger: ServerOptions['logger'], level: ServerOptions['logLevel']) {
  if (logger) return { loggerInstance: logger as FastifyBaseLogger };
  if (level === undefined || level === 'silent') return { logger: false };
  return { loggerInstance: pino({ level, base: { service: 'cnnx' } }) as FastifyBaseLogger };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
