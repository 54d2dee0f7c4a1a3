import { stat } from 'node:fs/promises';
import { Classifier } from '@cnnx/runtime';
import { createServer } from '@cnnx/runtime/server';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { say } from '../io.js';
import { refuseKerasFile } from '../model-location.js';
import { choice, integer, number } from '../options.js';

interface ServeFlags {
  model: string;
  name: string;
  host: string;
  port: number;
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  token?: string;
  device: 'auto' | 'cpu' | 'cuda';
  threads: number;
  worker: boolean;
  maxBodyMb: number;
  maxImagePixels: number;
  maxFiles: number;
  shutdownTimeoutMs: number;
  drainDelayMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
}

const EXAMPLE = `
Example:
  cnnx serve --model runs/quickstart/model.onnx --port 8000
  curl -s localhost:8000/v2/models/mnist
  curl -s --data-binary @digit.png -H 'content-type: image/png' localhost:8000/v2/models/mnist/classify

Endpoints (Open Inference Protocol v2, as KServe and Triton speak it):
  GET  /v2/health/live   /v2/health/ready   /v2   /v2/models/{name}   /v2/models/{name}/ready
  POST /v2/models/{name}/infer      JSON tensors (FP32, UINT8), binary tensors, classification
  POST /v2/models/{name}/classify   image body or multipart files → top-k classes
  GET  /metrics                     Prometheus
SIGTERM or SIGINT: readiness turns 503, requests in flight finish, then the process exits.`;

/** `cnnx serve`: an Open Inference Protocol v2 HTTP server for one ONNX model. */
export function register(program: Command, context: CliContext): void {
  program
    .command('serve')
    .description('serve an ONNX model over HTTP (Open Inference Protocol v2, dynamic batching, metrics)')
    .requiredOption('--model <file>', 'ONNX model file to serve')
    .option('--name <name>', 'the model name in URLs', 'mnist')
    .option('--host <host>', 'address to bind (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', integer('--port', { min: 0, max: 65535 }), 8000)
    .option('--max-batch <n>', 'most images in one onnxruntime run', integer('--max-batch', { min: 1 }), 64)
    .option(
      '--max-delay-ms <ms>',
      'longest wait for a batch to fill',
      number('--max-delay-ms', { min: 0, max: 10_000 }),
      2,
    )
    .option(
      '--max-queue <n>',
      'requests allowed to wait; more get 503',
      integer('--max-queue', { min: 1 }),
      1024,
    )
    .option('--token <token>', 'require Authorization: Bearer <token> (default: $CNNX_TOKEN)')
    .option('--device <device>', 'where the model runs', choice('--device', ['auto', 'cpu', 'cuda']), 'auto')
    .option('--threads <n>', 'onnxruntime intra-op threads', integer('--threads', { min: 1, max: 256 }), 1)
    .option('--no-worker', 'run onnxruntime on the HTTP thread instead of a worker thread')
    .option(
      '--max-body-mb <mb>',
      'largest request body, a multipart form with all its files included (413 above)',
      number('--max-body-mb', { above: 0 }),
      16,
    )
    .option(
      '--max-image-pixels <n>',
      'largest uploaded image, width × height (413 above)',
      integer('--max-image-pixels', { min: 784 }),
      4096 * 4096,
    )
    .option(
      '--max-files <n>',
      'most image files in one multipart /classify request (413 above)',
      integer('--max-files', { min: 1, max: 4096 }),
      64,
    )
    .option(
      '--shutdown-timeout-ms <ms>',
      'on SIGTERM, how long requests in flight may take',
      integer('--shutdown-timeout-ms', { min: 0 }),
      10_000,
    )
    .option(
      '--drain-delay-ms <ms>',
      'on SIGTERM, keep serving this long with readiness 503 (for load balancers)',
      integer('--drain-delay-ms', { min: 0 }),
      0,
    )
    .option(
      '--log-level <level>',
      'JSON logs on stdout',
      choice('--log-level', ['fatal', 'error', 'warn', 'info', 'debug', 'silent']),
      'info',
    )
    .addHelpText('after', EXAMPLE)
    .action(async (flags: ServeFlags) => {
      const token = flags.token ?? process.env.CNNX_TOKEN;
      if (token !== undefined && token.trim() === '') {
        throw new UsageError('--token (or CNNX_TOKEN) must not be empty');
      }
      await checkModelFile(flags.model);
      let classifier: Classifier;
      try {
        classifier = await Classifier.load(flags.model, {
          device: flags.device,
          threads: flags.threads,
          worker: flags.worker,
        });
      } catch (error) {
        throw new CliError(`${flags.model}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
      }
      let server: ReturnType<typeof createServer>;
      let modelFailed: (error: Error) => void = () => {};
      const failed = new Promise<Error>((resolve) => {
        modelFailed = resolve;
      });
      try {
        server = createServer({
          model: classifier,
          name: flags.name,
          maxBatch: flags.maxBatch,
          maxDelayMs: flags.maxDelayMs,
          maxQueue: flags.maxQueue,
          token,
          maxBodyBytes: Math.round(flags.maxBodyMb * 1024 * 1024),
          maxImagePixels: flags.maxImagePixels,
          maxFiles: flags.maxFiles,
          logLevel: flags.logLevel,
          version: context.version,
          onModelFailure: (error) => modelFailed(error),
        });
      } catch (error) {
        await classifier.release();
        throw new CliError(`${flags.model}: ${(error as Error).message}`, { cause: error });
      }
      let url: string;
      try {
        url = await server.listen({ host: flags.host, port: flags.port });
      } catch (error) {
        await classifier.release();
        const code = (error as NodeJS.ErrnoException).code;
        throw new CliError(
          `cannot listen on ${flags.host}:${flags.port} (${code ?? (error as Error).message})`,
          { cause: error },
        );
      }
      say(
        `cnnx serve: model '${flags.name}' (${classifier.info.device}) on ${url} — ${url}/v2/models/${flags.name}`,
      );
      const stop = await Promise.race([
        new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', () => resolve('SIGTERM'));
          process.once('SIGINT', () => resolve('SIGINT'));
        }),
        failed,
      ]);
      if (stop instanceof Error) {
        // the model cannot run again in this process: stop, and let a supervisor start a new one
        await server.shutdown({ timeoutMs: flags.shutdownTimeoutMs });
        await classifier.release().catch(() => {});
        throw new CliError(`${flags.model}: the model stopped running (${stop.message}); exiting`, {
          cause: stop,
        });
      }
      say(`cnnx serve: ${stop}, finishing requests in flight`);
      const finished = await server.shutdown({
        timeoutMs: flags.shutdownTimeoutMs,
        drainDelayMs: flags.drainDelayMs,
      });
      await classifier.release();
      if (!finished) {
        throw new CliError(`requests still in flight after --shutdown-timeout-ms ${flags.shutdownTimeoutMs}`);
      }
      say('cnnx serve: stopped');
    });
}

async function checkModelFile(file: string): Promise<void> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`${file}: cannot be read (${error.code}); --model expects an ONNX file`, {
      cause: error,
    });
  });
  if (!info.isFile()) throw new CliError(`${file}: is not a file; --model expects an ONNX file`);
  await refuseKerasFile(file, 'serve');
}
