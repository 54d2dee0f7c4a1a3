/** What every request goes through: the bearer token, in-flight counting, draining and per-request metrics. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from './metrics.js';

/** What the server knows of itself while it runs, shared by its hooks, routes and shutdown. */
export interface ServerState {
  /** True from the moment a shutdown begins: readiness answers 503 and answers close their connection. */
  draining: boolean;
  /** Requests received and not yet answered. */
  inFlight: number;
}

const HEALTH_ROUTES = new Set(['/v2/health/live', '/v2/health/ready']);

/**
 * Why an `Authorization` header does not carry `token`, or undefined when it does (compared in constant time).
 *
 * @example
 * checkToken('Bearer s3cret', 's3cret'); // → undefined
 * checkToken(undefined, 's3cret');       // → 'missing Authorization header; expected "Bearer <token>"'
 */
export function checkToken(header: string | undefined, token: string): string | undefined {
  if (header === undefined) return 'missing Authorization header; expected "Bearer <token>"';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return 'Authorization header is not "Bearer <token>"';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!timingSafeEqual(digest(match[1] as string), digest(token))) return 'wrong bearer token';
  return undefined;
}

/**
 * Adds the hooks every request passes: a 401 without the token (health probes excepted), the request id
 * echoed, in-flight counting, `connection: close` while draining, and the request's metrics and debug log
 * line. Callback-style hooks: no promise per request on the hot path.
 *
 * @example
 * registerRequestHooks(app, { token: 's3cret', state, metrics });
 */
export function registerRequestHooks(
  app: FastifyInstance,
  options: { token: string | undefined; state: ServerState; metrics: ServerMetrics },
): void {
  const { token, state, metrics } = options;
  app.addHook('onRequest', (request, reply, done) => {
    state.inFlight++;
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
    if (state.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    state.inFlight--;
    if (state.draining && state.inFlight === 0) setImmediate(() => app.server.closeIdleConnections());
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.debug(
      { route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
    done();
  });
}
