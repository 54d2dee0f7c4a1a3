/** The served model's health and metadata routes, and the lookups and checks every model route shares. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';
import type { ModelSignature } from './protocol.js';
import type { ServerState } from './request-hooks.js';
import type { ServedModel } from './types.js';

/** A 503 when the model can no longer run, else undefined. */
export type Availability = () => HttpError | undefined;

/**
 * Follows the model's `failure`: the returned check answers a 503 naming it once the model can no longer run,
 * and calls `onFailure` the first time it finds it.
 *
 * @example
 * const unavailable = modelAvailability(classifier, 'mnist', (error) => log.error(error));
 * unavailable(); // → undefined while the model runs
 */
export function modelAvailability(
  served: ServedModel,
  name: string,
  onFailure: (failure: Error) => void,
): Availability {
  let reported = false;
  return () => {
    const failure = served.failure;
    if (failure === undefined) return undefined;
    if (!reported) {
      reported = true;
      onFailure(failure);
    }
    return new HttpError(503, `model '${name}' cannot run: ${failure.message}`);
  };
}

/**
 * The served model a request's `:name` (and `:version`) names, or a 404 saying which one this server serves.
 *
 * @example
 * const findModel = modelLookup(signature);
 * findModel(request); // → signature, or throws HttpError 404 "unknown model 'cifar'; this server serves 'mnist'"
 */
export function modelLookup(model: ModelSignature): (request: FastifyRequest) => ModelSignature {
  return (request) => {
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
}

/**
 * A check that throws a 503 while the server drains or once the model cannot run (for inference routes).
 *
 * @example
 * const requireReady = readinessCheck(state, unavailable);
 * requireReady(); // throws HttpError 503 'server is shutting down' once a shutdown began
 */
export function readinessCheck(state: ServerState, unavailable: Availability): () => void {
  return () => {
    if (state.draining) throw new HttpError(503, 'server is shutting down');
    const failure = unavailable();
    if (failure) throw failure;
  };
}

/**
 * `GET /v2/health/live`, `/v2/health/ready`, `/v2` and the model's metadata and readiness routes (with and
 * without a version). Liveness fails too once the model stopped for good, so that a supervisor starts a
 * new process.
 *
 * @example
 * registerModelRoutes(app, { model, state, unavailable, findModel, version: '0.1.0' });
 */
export function registerModelRoutes(
  app: FastifyInstance,
  options: {
    model: ModelSignature;
    state: ServerState;
    unavailable: Availability;
    findModel: (request: FastifyRequest) => ModelSignature;
    version: string;
  },
): void {
  const { state, unavailable, findModel } = options;
  app.get('/v2/health/live', async (_request, reply) => {
    const failure = unavailable();
    if (failure) return reply.code(503).send({ live: false, error: failure.message });
    return { live: true };
  });
  app.get('/v2/health/ready', async (_request, reply) => {
    if (state.draining) return reply.code(503).send({ ready: false, error: 'server is shutting down' });
    const failure = unavailable();
    if (failure) return reply.code(503).send({ ready: false, error: failure.message });
    return { ready: true };
  });
  app.get('/v2', async () => ({
    name: 'cnnx',
    version: options.version,
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
      if (state.draining || unavailable()) return reply.code(503).send({ name: found.name, ready: false });
      return { name: found.name, ready: true };
    });
  }
}
