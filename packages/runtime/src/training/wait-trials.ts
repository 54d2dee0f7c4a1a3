/**
 * How the idle intra-op threads of a CPU training session wait for work, chosen by timing real steps.
 *
 * onnxruntime's threads can spin between the operators of a step or sleep. Neither wins everywhere. On an
 * idle Intel Xeon VM (2 vCPUs), spinning made the `classic` step 6-12% faster. On an AMD EPYC VM it was slower
 * (31 against 24 ms), and on a busy machine much slower (539 against 877 images/s). So a session with
 * `spinWait: 'auto'` keeps one onnxruntime session of each kind and times them on its own steps. The steps
 * alternate between the two in blocks, at the start and again every `TRIAL_EVERY` steps, since the
 * machine's load changes. The faster one then runs the steps until the next trial.
 */

/**
 * Steps that start within this many milliseconds of a switch between the sessions are not timed. Once its
 * step ends, a spinning session's threads spin on for a while (1 << 20 pauses in onnxruntime's thread pool,
 * about 50-70 ms on this machine). Measured here, that made the first two `classic` steps of each sleeping
 * block 27.8-30.7 ms, against 22.4-23.8 ms for the later ones.
 */
export const SETTLE_MS = 100;
/** Timed steps in a block of one kind. */
export const TIMED_PER_BLOCK = 3;
/** Blocks of each kind in the first trial, interleaved so that a drifting machine weighs on both alike. */
export const FIRST_TRIAL_BLOCKS = 4;
/** Blocks of each kind in each later trial. */
export const LATER_TRIAL_BLOCKS = 2;
/** Steps before the first trial: the first runs of a session allocate its memory. */
export const TRIAL_WARMUP = 2;
/** Steps from the end of one trial to the start of the next. */
export const TRIAL_EVERY = 512;
/**
 * Spinning is chosen only when its median step is at least 3% shorter than sleeping's. Sleeping threads
 * leave the cores to the rest of the machine: the JavaScript thread's next batch, other processes.
 */
export const SPIN_MARGIN = 0.97;

/** The middle of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One trial in progress: its block, when that block started, and the timed steps of each kind. */
interface Trial {
  blocks: number;
  block: number;
  timedInBlock: number;
  blockStartedAt: number | null;
  sleeping: number[];
  spinning: number[];
}

/**
 * The schedule of the trials and their verdicts, apart from onnxruntime: `next(now)` says which kind runs the
 * coming step (`now` in milliseconds, as `performance.now()` gives it), `record(ms)` takes its duration.
 *
 * @example
 * const trials = new WaitTrials();
 * const spin = trials.next(performance.now()); // false for the warm-up steps, then alternating blocks
 * trials.record(23.4);
 * trials.spinning; // the verdict of the last trial (false before the first ends)
 */
export class WaitTrials {
  /** Whether the threads of the chosen session spin: the last trial's verdict, false before the first. */
  spinning = false;
  /** Trials finished. */
  trials = 0;
  /** The last trial's median step on each kind of session, in milliseconds (null before the first ends). */
  last: { sleepingMs: number; spinningMs: number } | null = null;
  private untilTrial = TRIAL_WARMUP;
  private trial: Trial | null = null;
  private pending: { spin: boolean; timed: boolean } | null = null;

  /** Whether the step starting at `now` runs on the spinning session. */
  next(now: number): boolean {
    if (this.trial === null && this.untilTrial === 0) {
      const blocks = this.trials === 0 ? FIRST_TRIAL_BLOCKS : LATER_TRIAL_BLOCKS;
      this.trial = { blocks, block: 0, timedInBlock: 0, blockStartedAt: null, sleeping: [], spinning: [] };
    }
    const trial = this.trial;
    if (trial === null) {
      this.pending = { spin: this.spinning, timed: false };
      return this.spinning;
    }
    // blocks alternate, the kind that is not chosen first, so that each trial starts by switching
    const spin = trial.block % 2 === 0 ? !this.spinning : this.spinning;
    trial.blockStartedAt ??= now;
    this.pending = { spin, timed: now - trial.blockStartedAt >= SETTLE_MS };
    return spin;
  }

  /**
   * The duration of the step `next()` announced, in milliseconds (per step, for a run of several steps:
   * `steps`); true when it ended a trial.
   */
  record(milliseconds: number, steps = 1): boolean {
    const pending = this.pending;
    if (pending === null) throw new Error('WaitTrials.record without next()');
    this.pending = null;
    const trial = this.trial;
    if (trial === null) {
      this.untilTrial = Math.max(0, this.untilTrial - steps);
      return false;
    }
    if (!pending.timed) return false;
    (pending.spin ? trial.spinning : trial.sleeping).push(milliseconds);
    trial.timedInBlock += 1;
    if (trial.timedInBlock < TIMED_PER_BLOCK) return false;
    trial.block += 1;
    trial.timedInBlock = 0;
    trial.blockStartedAt = null;
    if (trial.block < 2 * trial.blocks) return false;
    this.last = { sleepingMs: median(trial.sleeping), spinningMs: median(trial.spinning) };
    this.spinning = this.last.spinningMs < SPIN_MARGIN * this.last.sleepingMs;
    this.trials += 1;
    this.trial = null;
    this.untilTrial = TRIAL_EVERY;
    return true;
  }
}
