/**
 * The inside of a worker-thread session (see worker-session.ts): opens the model with the same device
 * resolution as the main thread would, then answers `run` messages one at a time. Inputs arrive in buffers
 * of their own (transferred); outputs go back transferred when onnxruntime gave them a buffer of their own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { type BackendSession, resolveSession } from '../core/backend.js';
import type { TensorLike } from '../types.js';
import { registerNodeBackends } from './register.js';
import type { FromWorker, OpenRequest, ToWorker, WireTensor } from './worker-session.js';

const port = parentPort;
if (port === null) throw new Error('session-worker.ts runs only as a worker thread');

function transferables(tensors: Record<string, WireTensor>): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const tensor of Object.values(tensors)) {
    const data = tensor.data;
    if (
      ArrayBuffer.isView(data) &&
      data.buffer instanceof ArrayBuffer &&
      data.byteLength === data.buffer.byteLength
    ) {
      list.push(data.buffer);
    }
  }
  return list;
}

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  try {
    port?.postMessage(message, transfer);
  } catch {
    port?.postMessage(message); // a buffer that cannot be detached is copied instead
  }
}

async function open(request: OpenRequest): Promise<BackendSession | undefined> {
  registerNodeBackends();
  try {
    const resolved = await resolveSession(request.device, request.model, request.options);
    post({
      kind: 'ready',
      device: resolved.device,
      provider: resolved.backend.provider,
      skipped: resolved.skipped,
      described: resolved.backend.describe?.(resolved.session) ?? null,
      inputNames: [...resolved.session.inputNames],
      outputNames: [...resolved.session.outputNames],
    });
    return resolved.session;
  } catch (error) {
    const failure = error as Error & { causes?: { device: string; reason: string }[] };
    post({
      kind: 'open-failed',
      name: failure.name,
      message: failure.message,
      causes: failure.causes ?? null,
    });
    return undefined;
  }
}

const session = await open(workerData as OpenRequest);
if (session !== undefined) {
  port.on('message', async (message: ToWorker) => {
    if (message.kind === 'release') {
      await session.release();
      port.close();
      return;
    }
    try {
      const feeds: Record<string, TensorLike> = {};
      for (const [name, tensor] of Object.entries(message.feeds)) {
        feeds[name] = new ort.Tensor(tensor.type as 'float32', tensor.data as Float32Array, tensor.dims);
      }
      const results = await session.run(feeds);
      const outputs: Record<string, WireTensor> = {};
      for (const [name, tensor] of Object.entries(results)) {
        outputs[name] = { type: tensor.type, dims: [...tensor.dims], data: tensor.data };
      }
      post({ kind: 'result', id: message.id, outputs }, transferables(outputs));
    } catch (error) {
      post({ kind: 'failed', id: message.id, message: (error as Error).message ?? String(error) });
    }
  });
} else {
  port.close();
}
