import {
  BACKEND_LADDER,
  type BackendInfo,
  type BaselineProgress,
  type BatchLogs,
  type EpochLogs,
} from '@cnnx/train';
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
 * The backend a run trains on: its name, with onnxruntime's device and the threads it computes on.
 *
 * @example
 * describeBackend({ name: 'onnxruntime', device: 'cpu', threads: 2, skipped: [] }); // → 'onnxruntime (cpu, 2 threads)'
 * describeBackend({ name: 'wasm', device: 'cpu', threads: 2, skipped: [] }); // → 'wasm (2 threads)'
 */
export function describeBackend(backend: BackendInfo): string {
  const tfjs = (BACKEND_LADDER as readonly string[]).includes(backend.name);
  const where = [
    ...(backend.device && !tfjs ? [backend.device] : []),
    ...(backend.threads ? [`${backend.threads} thread${backend.threads === 1 ? '' : 's'}`] : []),
  ];
  return `${backend.name}${where.length > 0 ? ` (${where.join(', ')})` : ''}`;
}

/**
 * Says which backend a run trains on, after one line for each one `auto` passed over and why (for
 * onnxruntime: the layer it cannot train).
 *
 * @example
 * sayBackend(backend);
 * // backend onnxruntime skipped: layer 'lstm_1' (LSTM): layer class 'LSTM' has no trainer
 * // training backend: wasm (2 threads)
 */
export function sayBackend(backend: BackendInfo): void {
  for (const skipped of backend.skipped) say(`backend ${skipped.name} skipped: ${skipped.reason}`);
  say(`training backend: ${describeBackend(backend)}`);
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

/**
 * Progress of a classical baseline on stderr: a bar once it has run for a second (class pairs for the SVC,
 * trees for the random forest, epochs, then test images), or on a pipe a line every 5 seconds, so a quick
 * baseline prints nothing and a slow one is never silent.
 *
 * @example
 * const progress = createBaselineProgress();
 * await trainBaseline('svc', train, test, { onProgress: progress.update }).finally(progress.stop);
 * // svc predict [██████████░░░░░░░░░░] 750/1500 test images | 12s elapsed, ETA 12s
 */
export function createBaselineProgress(stream: NodeJS.WriteStream = process.stderr): {
  update: (progress: BaselineProgress) => void;
  stop: () => void;
} {
  const interactive = Boolean(stream.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  let phaseStarted = Date.now();
  let lastLine = Date.now();

  const update = (p: BaselineProgress) => {
    if (p.phase !== phase) {
      bar?.stop();
      bar = undefined;
      phase = p.phase;
      phaseStarted = Date.now();
    }
    const elapsed = (Date.now() - phaseStarted) / 1000;
    const payload = {
      name: p.name,
      phase: p.phase,
      unit: p.unit,
      elapsed: formatSeconds(elapsed),
      eta: formatSeconds((elapsed / Math.max(p.done, 1)) * (p.total - p.done)),
    };
    if (interactive) {
      if (!bar && elapsed >= 1 && p.done < p.total) {
        bar = new cliProgress.SingleBar(
          {
            format: '{name} {phase} [{bar}] {value}/{total} {unit} | {elapsed} elapsed, ETA {eta}',
            stream,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, p.done, payload);
      }
      bar?.update(p.done, payload);
    } else if (Date.now() - lastLine >= 5000) {
      lastLine = Date.now();
      stream.write(
        `  ${p.name} ${p.phase} ${p.done}/${p.total} ${p.unit} | ${payload.elapsed} elapsed, ETA ${payload.eta}\n`,
      );
    }
  };

  return {
    update,
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}
