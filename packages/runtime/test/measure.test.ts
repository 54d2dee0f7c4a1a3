import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureLatencies, measureThroughput, summariseLatencies } from '../src/core/measure.js';

describe('summariseLatencies', () => {
  test('images per second from the summed latencies, quantiles as the sample at ⌊q·n⌋', () => {
    const latencies = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1 ms, unsorted
    const summary = summariseLatencies(latencies, 8);
    assert.equal(summary.batch, 8);
    assert.equal(summary.runs, 100);
    assert.equal(summary.seconds, 5.05);
    assert.equal(summary.imagesPerSecond, 800 / 5.05);
    assert.deepEqual([summary.p50Ms, summary.p90Ms, summary.p99Ms], [51, 91, 100]);
  });

  test('one sample is every quantile; none gives NaN quantiles and no runs', () => {
    const one = summariseLatencies([4], 1);
    assert.deepEqual([one.p50Ms, one.p90Ms, one.p99Ms, one.imagesPerSecond], [4, 4, 4, 250]);
    const none = summariseLatencies([], 1);
    assert.equal(none.runs, 0);
    assert.ok(Number.isNaN(none.p50Ms) && Number.isNaN(none.p99Ms));
  });
});

describe('measureLatencies', () => {
  test('refuses bad options, naming the option and the value', async () => {
    const step = async () => {};
    const cases: [Parameters<typeof measureLatencies>[1], RegExp][] = [
      [{ batch: 0, seconds: 1 }, /'batch' must be an integer ≥ 1, got 0/],
      [{ batch: 1.5, seconds: 1 }, /'batch' must be an integer ≥ 1, got 1\.5/],
      [{ batch: 1, seconds: 0 }, /'seconds' must be a number > 0, got 0/],
      [{ batch: 1, seconds: Number.NaN }, /'seconds' must be a number > 0, got NaN/],
      [{ batch: 1, seconds: 1, warmupRuns: -1 }, /'warmupRuns' must be an integer ≥ 0, got -1/],
      [{ batch: 1, seconds: 1, minimumRuns: 0.5 }, /'minimumRuns' must be an integer ≥ 0, got 0\.5/],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(measureLatencies([step], options), { name: 'RangeError', message });
    }
  });

  test('warms up uncounted, then reaches both the time budget and the minimum of runs', async () => {
    let calls = 0;
    const [latencies] = await measureLatencies(
      [
        async () => {
          calls++;
        },
      ],
      { batch: 1, seconds: 0.05, warmupRuns: 5, minimumRuns: 200 },
    );
    assert.ok(latencies);
    assert.ok(latencies.length >= 200, `${latencies.length} runs`);
    // 5 warm-up calls and one uncounted call at the start of each block
    assert.ok(calls >= latencies.length + 6, `${calls} calls for ${latencies.length} latencies`);
    assert.ok(latencies.every((latency) => latency >= 0));
  });

  test('a slow step stops after four times its budget even short of its minimum', async () => {
    const [latencies] = await measureLatencies([() => sleep(10)], {
      batch: 1,
      seconds: 0.02,
      warmupRuns: 0,
      minimumRuns: 1000,
    });
    assert.ok(latencies);
    const spent = latencies.reduce((sum, latency) => sum + latency, 0);
    assert.ok(spent >= 80, `${spent} ms measured`);
    assert.ok(latencies.length >= 2 && latencies.length < 20, `${latencies.length} runs`);
  });

  test('steps take turns in blocks, and the order turns every round', async () => {
    const order: number[] = [];
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const steps = [0, 1].map((id) => async () => {
      order.push(id);
      busy(1);
    });
    // budget 300 ms → blocks of 50 ms: 0 | 1 1 | 0 0 | 1 1 | … as rounds go 0 1, 1 0, 0 1, …
    const samples = await measureLatencies(steps, { batch: 1, seconds: 0.3, warmupRuns: 0, minimumRuns: 1 });
    const runs: number[] = [];
    order.forEach((id, i) => {
      if (i === 0 || order[i - 1] !== id) runs.push(0);
      runs[runs.length - 1]! += 1;
    });
    assert.ok(runs.length >= 4, `runs of calls: ${runs.join(' ')}`);
    assert.ok(runs[1]! > 1.5 * runs[0]! && runs[2]! > 1.5 * runs[0]!, `runs of calls: ${runs.join(' ')}`);
    for (const latencies of samples) {
      const spent = latencies.reduce((sum, latency) => sum + latency, 0);
      assert.ok(spent >= 300, `${spent} ms measured`);
    }
  });
});

describe('measureThroughput', () => {
  test('summarises the one step it measured', async () => {
    let measured = 0;
    const summary = await measureThroughput(
      async () => {
        measured++;
      },
      { batch: 32, seconds: 0.001, warmupRuns: 0, minimumRuns: 64 },
    );
    assert.equal(summary.batch, 32);
    assert.ok(summary.runs >= 64 && summary.runs < measured + 1);
    assert.ok(summary.imagesPerSecond > 0 && summary.p50Ms <= summary.p99Ms);
  });
});
