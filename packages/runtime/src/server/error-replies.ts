/** How the server answers what went wrong: one `{"error": "..."}` line with the right status. */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

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

/**
 * Answers errors and unknown routes with one line: the status an {@link HttpError} or Fastify gives (500
 * otherwise, logged, with no detail to the client), and a 404 naming the route.
 *
 * @example
 * registerErrorReplies(app, 16 * 1024 * 1024);
 * // a 20 MB body → 413 {"error":"request body is larger than the limit of 16777216 bytes"}
 */
export function registerErrorReplies(app: FastifyInstance, maxBodyBytes: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = statusOf(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status, error: error.message }, 'request refused');
    reply.code(status).send({ error: describe(error, status, request, maxBodyBytes) });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
}
