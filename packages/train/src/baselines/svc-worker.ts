/**
 * The SVC's worker thread: trains libsvm on the images it is started with and posts back the decision
 * function. libsvm prints a line ending "optimization finished" for each pair of classes it has trained;
 * counting those lines is the training progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadLibsvm } from './libsvm.js';
import type { SvcJob, SvcMessage } from './svc.js';

const job = workerData as SvcJob;
const post = (message: SvcMessage) => parentPort?.postMessage(message);
const pairs = (job.classes * (job.classes - 1)) / 2;

let pairsDone = 0;
console.log = (...parts: unknown[]) => {
  for (const line of parts.map(String)) {
    if (line.includes('optimization finished')) {
      pairsDone++;
      post({ kind: 'progress', done: pairsDone, total: pairs });
    }
  }
};

try {
  const libsvm = await loadLibsvm();
  const started = performance.now();
  const model = libsvm.train(
    { images: job.train, count: job.trainCount, features: job.features },
    job.labels,
    job.parameters,
  );
  const trainSeconds = (performance.now() - started) / 1000;
  post({ kind: 'trained', decision: model.decision(), trainSeconds });
  model.release();
} catch (error) {
  // emscripten's abort throws a string; everything else is an Error.
  post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
}
