/**
 * The schedule of `spinWait: 'auto'`'s trials, apart from onnxruntime: warm-up steps, blocks alternating
 * between the two kinds of session with the steps just after a switch untimed, the verdict by the medians
 * with spinning's 3% margin, and the later, shorter trials.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FIRST_TRIAL_BLOCKS,
  LATER_TRIAL_BLOCKS,
  SETTLE_MS,
  TIMED_PER_BLOCK,
  TRIAL_EVERY,
  TRIAL_WARMUP,
  WaitTrials,
} from '../src/training/wait-trials.js';

/** How long a step takes, by its kind and the time since the steps last switched kind. */
type Duration = (spin: boolean, sinceSwitch: number) => number;

const fixed =
  (sleepingMs: number, spinningMs: number): Duration =>
  (spin) =>
    spin ? spinningMs : sleepingMs;

/** A clock, and steps back to back as `WaitTrials` schedules them. */
class Run {
  readonly trials = new WaitTrials();
  private now = 0;
  private previous: boolean | null = null;
  private switchedAt = 0;

  steps(count: number, duration: Duration): boolean[] {
    const kinds: boolean[] = [];
    for (let step = 0; step < count; step++) {
      const spin = this.trials.next(this.now);
      if (spin !== this.previous) this.switchedAt = this.now;
      this.previous = spin;
      const took = duration(spin, this.now - this.switchedAt);
      const finished = this.trials.trials;
      // record() says so exactly when the step ends a trial
      assert.equal(this.trials.record(took), this.trials.trials > finished);
      this.now += took;
      kinds.push(spin);
    }
    return kinds;
  }

  /** Steps until the trial in progress (or the next one) ends. */
  untilVerdict(duration: Duration): boolean[] {
    const done = this.trials.trials;
    const kinds: boolean[] = [];
    while (this.trials.trials === done) kinds.push(...this.steps(1, duration));
    return kinds;
  }
}

/** The lengths of the runs of equal values: `[t, t, f]` → `[[true, 2], [false, 1]]`. */
function runs(kinds: boolean[]): [boolean, number][] {
  const result: [boolean, number][] = [];
  for (const kind of kinds) {
    const last = result.at(-1);
    if (last && last[0] === kind) last[1] += 1;
    else result.push([kind, 1]);
  }
  return result;
}

describe('WaitTrials', () => {
  test('warm-up on the sleeping session, then blocks that alternate, the untried kind first', () => {
    const run = new Run();
    const kinds = run.untilVerdict(fixed(30, 20));
    assert.deepEqual(kinds.slice(0, TRIAL_WARMUP), new Array(TRIAL_WARMUP).fill(false));
    const blocks = runs(kinds.slice(TRIAL_WARMUP));
    assert.equal(blocks.length, 2 * FIRST_TRIAL_BLOCKS);
    for (const [index, [spin, length]] of blocks.entries()) {
      assert.equal(spin, index % 2 === 0);
      // the steps within SETTLE_MS of the switch, then TIMED_PER_BLOCK timed ones
      assert.equal(length, Math.ceil(SETTLE_MS / (spin ? 20 : 30)) + TIMED_PER_BLOCK);
    }
    assert.equal(run.trials.spinning, true);
    assert.deepEqual(run.trials.last, { sleepingMs: 30, spinningMs: 20 });
    // then the verdict runs every step until the next trial
    assert.ok(run.steps(TRIAL_EVERY, fixed(30, 20)).every((spin) => spin));
    assert.equal(run.trials.trials, 1);
  });

  test('a later trial, shorter, tries sleeping first and can change the verdict', () => {
    const run = new Run();
    run.untilVerdict(fixed(30, 20));
    run.steps(TRIAL_EVERY, fixed(30, 20));
    // the machine got busy: spinning is now the slower
    const later = runs(run.untilVerdict(fixed(30, 45)));
    assert.equal(later.length, 2 * LATER_TRIAL_BLOCKS);
    assert.deepEqual(
      later.map(([spin]) => spin),
      [false, true, false, true],
    );
    assert.equal(run.trials.trials, 2);
    assert.equal(run.trials.spinning, false);
    assert.deepEqual(run.trials.last, { sleepingMs: 30, spinningMs: 45 });
  });

  test('steps just after a switch are not timed, and spinning must be 3% faster to be chosen', () => {
    // the steps just after each switch are very slow (the other session's threads still spin): were they
    // timed, sleeping would look as slow as spinning
    const run = new Run();
    run.untilVerdict((spin, sinceSwitch) => (sinceSwitch < SETTLE_MS ? 60 : spin ? 20 : 30));
    assert.deepEqual(run.trials.last, { sleepingMs: 30, spinningMs: 20 });
    assert.equal(run.trials.spinning, true);

    const close = new Run();
    close.untilVerdict(fixed(30, 29.5));
    assert.equal(close.trials.spinning, false, 'spinning 1.7% faster is not enough');
    const clear = new Run();
    clear.untilVerdict(fixed(30, 28.8));
    assert.equal(clear.trials.spinning, true, 'spinning 4% faster is chosen');
  });

  test('record() without next() is a programming error', () => {
    assert.throws(() => new WaitTrials().record(1), /record without next/);
  });
});
