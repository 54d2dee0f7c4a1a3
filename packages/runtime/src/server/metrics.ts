import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The server's Prometheus metrics, in a registry of its own (several servers may share a process). */
export interface ServerMetrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  latency: Histogram<'route'>;
  queueTime: Histogram;
  batchSize: Histogram;
  inferenceTime: Histogram;
  inFlight: Gauge;
  queueDepth: Gauge;
  /** Counts a finished request; children are cached so the hot path does no label hashing. */
  observeRequest(route: string, status: number, seconds: number): void;
}

/**
 * Creates the metrics `GET /metrics` exposes: requests by route and status, latency, queue time, batch
 * size, inference time, in-flight requests and queue depth, plus Node's process metrics (RSS, heap, GC).
 *
 * @example
 * const metrics = createMetrics(() => batcher.depth, () => inFlight);
 * metrics.observeRequest('/v2/models/:name/infer', 200, 0.004);
 * await metrics.registry.metrics(); // '# HELP cnnx_requests_total ...'
 */
export function createMetrics(
  queueDepth: () => number,
  inFlightCount: () => number = () => 0,
): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'cnnx_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'cnnx_request_duration_seconds',
    help: 'Time from request received to response sent, by route',
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const queueTime = new Histogram({
    name: 'cnnx_queue_time_seconds',
    help: 'Time an inference request waited for its batch to start',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'cnnx_batch_size',
    help: 'Images per onnxruntime run',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
  const inferenceTime = new Histogram({
    name: 'cnnx_inference_duration_seconds',
    help: 'Time of one onnxruntime run',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'cnnx_requests_in_flight',
    help: 'Requests received and not yet answered',
    registers: [registry],
    // Read when scraped: no gauge update on the hot path.
    collect() {
      this.set(inFlightCount());
    },
  });
  const depthGauge = new Gauge({
    name: 'cnnx_queue_depth',
    help: 'Inference requests waiting for a batch',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  const counters = new Map<string, ReturnType<typeof requests.labels>>();
  const timers = new Map<string, ReturnType<typeof latency.labels>>();
  return {
    registry,
    requests,
    latency,
    queueTime,
    batchSize,
    inferenceTime,
    inFlight,
    queueDepth: depthGauge,
    observeRequest(route, status, seconds) {
      const key = `${status} ${route}`;
      let counter = counters.get(key);
      if (counter === undefined) {
        counter = requests.labels({ route, status: String(status) });
        counters.set(key, counter);
      }
      counter.inc();
      let timer = timers.get(route);
      if (timer === undefined) {
        timer = latency.labels({ route });
        timers.set(route, timer);
      }
      timer.observe(seconds);
    },
  };
}
