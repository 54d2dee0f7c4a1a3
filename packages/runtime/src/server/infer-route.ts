/** Inference: requests gathered into batches for the model, and the `/infer` routes that feed them. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DynamicBatcher, type RunBatch } from './batcher.js';
import { HttpError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import type { Availability } from './model-routes.js';
import { encodeInferResponse, type ModelSignature, parseInferRequest } from './protocol.js';
import type { ServedModel, ServedTensor } from './types.js';

/**
 * The batcher that runs the served model on gathered requests: one onnxruntime run per batch, its size and
 * time recorded in `metrics`; a run that fails because the model stopped answers the model's 503.
 *
 * @example
 * const batcher = createModelBatcher(classifier, signature, { maxBatch: 64, maxDelayMs: 2, maxQueue: 1024 }, metrics, unavailable);
 */
export function createModelBatcher(
  served: ServedModel,
  model: ModelSignature,
  limits: { maxBatch: number; maxDelayMs: number; maxQueue: number },
  metrics: ServerMetrics,
  unavailable: Availability,
): DynamicBatcher {
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
  return new DynamicBatcher(runBatch, {
    ...limits,
    onBatch: (stats) => {
      metrics.batchSize.observe(stats.images);
      metrics.inferenceTime.observe(stats.inferenceSeconds);
    },
  });
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

/**
 * `POST /v2/models/{name}[/versions/{version}]/infer`: JSON or binary-tensor bodies, read as bytes by the
 * protocol code, queued in the batcher, answered in the request's own encoding.
 *
 * @example
 * app.register((scope) => registerInferRoutes(scope, { findModel, requireReady, batcher, metrics }));
 */
export async function registerInferRoutes(
  scope: FastifyInstance,
  options: {
    findModel: (request: FastifyRequest) => ModelSignature;
    requireReady: () => void;
    batcher: DynamicBatcher;
    metrics: ServerMetrics;
  },
): Promise<void> {
  const { findModel, requireReady, batcher, metrics } = options;
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
    metrics.queueTime.observe(result.queueSeconds);
    const encoded = encodeInferResponse(found, parsed, result.outputs);
    if (encoded.headerLength === undefined) {
      reply.type('application/json; charset=utf-8');
    } else {
      reply.type('application/octet-stream').header('inference-header-content-length', encoded.headerLength);
    }
    return reply.send(encoded.body);
  };
  scope.post('/v2/models/:name/infer', infer);
  scope.post('/v2/models/:name/versions/:version/infer', infer);
}
