/**
 * The schedule of `spinWait: 'auto'`'s trials, apart from onnxruntime: warm-up steps, blocks alternating
 * between the two kinds of session with each block's first step untimed, the verdict by the medians with
 * spinning's 3% margin, and the later, shorter trials.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FIRST_TRIAL_BLOCKS,
  LATER_TRIAL_BLOCKS,
  TRIAL_BLOCK,
  TRIAL_EVERY,
  TRIAL_WARMUP,
  WaitTrials,
} from '../src/training/wait-trials.js';

/** Runs `count` steps, each taking `sleepingMs` or `spinningMs` by the kind announced; returns the kinds. */
function run(trials: WaitTrials, count: number, sleepingMs: number, spinningMs: number): boolean[] {
  const kinds: boolean[] = [];
  for (let step = 0; step < count; step++) {
    const spin = trials.next();
    kinds.push(spin);
    trials.record(spin ? spinningMs : sleepingMs);
  }
  return kinds;
}

describe('WaitTrials', () => {
  test('warm-up on the sleeping session, then blocks that alternate, the untried kind first', () => {
    const trials = new WaitTrials();
    const first = 2 * FIRST_TRIAL_BLOCKS * TRIAL_BLOCK;
    const kinds = run(trials, TRIAL_WARMUP + first, 30, 20);
    assert.deepEqual(kinds.slice(0, TRIAL_WARMUP), new Array(TRIAL_WARMUP).fill(false));
    const blocks = Array.from({ length: 2 * FIRST_TRIAL_BLOCKS }, (_, block) =>
      kinds.slice(TRIAL_WARMUP + block * TRIAL_BLOCK, TRIAL_WARMUP + (block + 1) * TRIAL_BLOCK),
    );
    for (const [index, block] of blocks.entries())
      assert.deepEqual(block, new Array(TRIAL_BLOCK).fill(index % 2 === 0));
    assert.equal(trials.trials, 1);
    assert.equal(trials.spinning, true);
    assert.deepEqual(trials.last, { sleepingMs: 30, spinningMs: 20 });
    // then the verdict runs every step until the next trial
    assert.ok(run(trials, TRIAL_EVERY, 30, 20).every((spin) => spin));
    assert.equal(trials.trials, 1);
  });

  test('a later trial, shorter, tries sleeping first and can change the verdict', () => {
    const trials = new WaitTrials();
    run(trials, TRIAL_WARMUP + 2 * FIRST_TRIAL_BLOCKS * TRIAL_BLOCK + TRIAL_EVERY, 30, 20);
    assert.equal(trials.spinning, true);
    // the machine got busy: spinning is now the slower
    const later = run(trials, 2 * LATER_TRIAL_BLOCKS * TRIAL_BLOCK, 30, 45);
    assert.deepEqual(later.slice(0, TRIAL_BLOCK), new Array(TRIAL_BLOCK).fill(false));
    assert.deepEqual(later.slice(TRIAL_BLOCK, 2 * TRIAL_BLOCK), new Array(TRIAL_BLOCK).fill(true));
    assert.equal(trials.trials, 2);
    assert.equal(trials.spinning, false);
  });

  test("each block's first step is not timed, and spinning must be 3% faster to be chosen", () => {
    const slowFirst = new WaitTrials();
    for (let step = 0; step < TRIAL_WARMUP + 2 * FIRST_TRIAL_BLOCKS * TRIAL_BLOCK; step++) {
      const spin = slowFirst.next();
      const inTrial = step - TRIAL_WARMUP;
      // the first step of each spinning block is very slow: were it timed, spinning would lose
      const first = inTrial >= 0 && inTrial % TRIAL_BLOCK === 0;
      slowFirst.record(spin ? (first ? 500 : 20) : 30);
    }
    assert.equal(slowFirst.trials, 1);
    assert.equal(slowFirst.spinning, true);

    const close = new WaitTrials();
    run(close, TRIAL_WARMUP + 2 * FIRST_TRIAL_BLOCKS * TRIAL_BLOCK, 30, 29.5);
    assert.equal(close.trials, 1);
    assert.equal(close.spinning, false, 'spinning 1.7% faster is not enough');
  });

  test('record() without next() is a programming error', () => {
    assert.throws(() => new WaitTrials().record(1), /record without next/);
  });
});
