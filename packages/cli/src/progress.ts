import type { BackendInfo, BatchLogs, EpochLogs } from '@cnnx/train';
import cliProgress from 'cli-progress';
import { say } from './io.js';

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

/**
 * Draws one progress bar per epoch on stderr (a line every few seconds when stderr is not a terminal),
 * with loss, accuracy, images/s, elapsed time and ETA, so a user is never left at a silent terminal.
 *
 * @example
 * const progress = createTrainingProgress();
 * await trainModel(model, data, { onBatchEnd: progress.batch, onEpochEnd: progress.epoch });
 * progress.stop();
 */
export function createTrainingProgress(stream: NodeJS.WriteStream = process.stderr): {
  batch: (progress: BatchLogs) => void;
  epoch: (progress: EpochLogs) => void;
  stop: () => void;
} {
  const interactive = Boolean(stream.isTTY);
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;

  const batch = (p: BatchLogs) => {
    const elapsed = (Date.now() - started) / 1000;
    const done = (p.epoch - 1) * p.batches + p.batch;
    const eta = (elapsed / Math.max(done, 1)) * (p.epochs * p.batches - done);
    const payload = {
      epoch: p.epoch,
      epochs: p.epochs,
      loss: p.loss.toFixed(4),
      accuracy: p.accuracy.toFixed(4),
      speed: Math.round(p.imagesPerSecond),
      elapsed: formatSeconds(elapsed),
      eta: formatSeconds(eta),
    };
    if (interactive) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format:
              'epoch {epoch}/{epochs} [{bar}] {value}/{total} loss {loss} acc {accuracy} | {speed} img/s | {elapsed} elapsed, ETA {eta}',
            stream,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.batches, 0, payload);
      }
      bar.update(p.batch, payload);
    } else if (p.batch === 1 || Date.now() - lastLine > 5000) {
      lastLine = Date.now();
      stream.write(
        `  epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${payload.loss} acc ${payload.accuracy} | ${payload.speed} img/s | ${payload.elapsed} elapsed, ETA ${payload.eta}\n`,
      );
    }
  };

  const epoch = (p: EpochLogs) => {
    bar?.stop();
    bar = undefined;

    const elapsed = (Date.now() - started) / 1000;
    const eta = (elapsed / p.epoch) * (p.epochs - p.epoch);
    const validation =
      p.valLoss === undefined
        ? ''
        : ` val_loss ${p.valLoss.toFixed(4)} val_acc ${(p.valAccuracy ?? Number.NaN).toFixed(4)}`;
    stream.write(
      `epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(4)}${validation} | ${Math.round(p.imagesPerSecond)} img/s | ${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}\n`,
    );
  };

  return { batch, epoch, stop: () => bar?.stop() };
}

/**
 * The backend a run trains on, in one line: its name, wasm threads, and why faster ones were passed over.
 *
 * @example
 * describeBackend({ name: 'wasm', threads: 2, skipped: [{ name: 'tensorflow', reason: 'not installed' }] });
 * // → 'wasm, 2 threads (skipped tensorflow: not installed)'
 */
export function describeBackend(backend: BackendInfo): string {
  const skipped = backend.skipped.map((entry) => `${entry.name}: ${entry.reason}`).join('; ');
  const threads = backend.threads ? `, ${backend.threads} threads` : '';
  return `${backend.name}${threads}${skipped ? ` (skipped ${skipped})` : ''}`;
}

/**
 * Ctrl-C while training: the first asks the run to stop after the current batch (and save a checkpoint), the
 * second quits at once with 130. `dispose` removes the handler.
 *
 * @example
 * const interruption = onInterrupt();
 * await trainRun(config, { shouldStop: interruption.requested });
 * interruption.dispose();
 */
export function onInterrupt(): { requested: () => boolean; dispose: () => void } {
  let interrupted = false;
  const handler = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say('\ninterrupted: saving a checkpoint after this batch (Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', handler);
  return { requested: () => interrupted, dispose: () => process.off('SIGINT', handler) };
}
