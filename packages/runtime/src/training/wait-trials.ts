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

/** Steps in a block of one kind. Its first step is not timed: the other session's threads may still spin. */
export const TRIAL_BLOCK = 4;
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

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One trial in progress: how far it is, and the timed steps of each kind. */
interface Trial {
  blocks: number;
  index: number;
  sleeping: number[];
  spinning: number[];
}

/**
 * The schedule of the trials and their verdicts, apart from onnxruntime: `next()` says which kind runs the
 * coming step, `record(ms)` takes its duration.
 *
 * @example
 * const trials = new WaitTrials();
 * const spin = trials.next(); // false for the warm-up steps, then alternating blocks
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
  private pending: boolean | null = null;

  /** Whether the coming step runs on the spinning session. */
  next(): boolean {
    if (this.trial === null && this.untilTrial === 0) {
      const blocks = this.trials === 0 ? FIRST_TRIAL_BLOCKS : LATER_TRIAL_BLOCKS;
      this.trial = { blocks, index: 0, sleeping: [], spinning: [] };
    }
    const trial = this.trial;
    // blocks alternate, the kind that is not chosen first, so that each trial starts by switching
    this.pending =
      trial === null
        ? this.spinning
        : Math.floor(trial.index / TRIAL_BLOCK) % 2 === 0
          ? !this.spinning
          : this.spinning;
    return this.pending;
  }

  /** The duration of the step `next()` announced, in milliseconds. */
  record(milliseconds: number): void {
    const spun = this.pending;
    if (spun === null) throw new Error('WaitTrials.record without next()');
    this.pending = null;
    const trial = this.trial;
    if (trial === null) {
      this.untilTrial -= 1;
      return;
    }
    if (trial.index % TRIAL_BLOCK !== 0) (spun ? trial.spinning : trial.sleeping).push(milliseconds);
    trial.index += 1;
    if (trial.index < 2 * trial.blocks * TRIAL_BLOCK) return;
    this.last = { sleepingMs: median(trial.sleeping), spinningMs: median(trial.spinning) };
    this.spinning = this.last.spinningMs < SPIN_MARGIN * this.last.sleepingMs;
    this.trials += 1;
    this.trial = null;
    this.untilTrial = TRIAL_EVERY;
  }
}
