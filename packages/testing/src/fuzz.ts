/**
 * What the fuzz suites share: fast-check settings (a fixed seed and a time budget, both overridable from the
 * environment), byte mutations of valid files, and the contract every parser is held to: a result, or one
 * of the errors it documents, never another exception, and resident memory under a bound.
 */
import fc from 'fast-check';

/** The seed every fuzz suite starts from: `CNNX_FUZZ_SEED`, else 20 (a failure prints the seed and path). */
export const FUZZ_SEED = Number(process.env.CNNX_FUZZ_SEED ?? 20);

/** Milliseconds each property may run: `CNNX_FUZZ_MS`, else 2,000. `npm test` runs about a dozen. */
export const FUZZ_MS = Number(process.env.CNNX_FUZZ_MS ?? 2000);

/** Resident memory no parser may push the test process past, for inputs of a few kilobytes. */
export const FUZZ_MAX_RSS = 1024 ** 3;

/**
 * fast-check parameters: the fixed seed, up to `numRuns` runs, and stopping quietly when the time budget is
 * spent (the runs done so far still count).
 */
function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  return {
    seed: FUZZ_SEED,
    numRuns,
    interruptAfterTimeLimit: FUZZ_MS,
    markInterruptAsFailure: false,
    endOnFailure: true,
  };
}

/**
 * Checks an async property within the time budget (up to `numRuns` runs), and returns only once its last run
 * has ended. fast-check's time limit stops waiting for the run in progress but does not stop it, so without
 * this a run could still be writing into a test's temporary folder while the test's `after` removes it.
 *
 * @example
 * await assertFuzz(fc.asyncProperty(fc.uint8Array(), async (bytes) => { await parse(bytes); }));
 */
export async function assertFuzz<Ts>(property: fc.IAsyncProperty<Ts>, numRuns = 100_000): Promise<void> {
  let lastRun: Promise<unknown> = Promise.resolve();
  const tracked: fc.IRawProperty<Ts, true> = {
    isAsync: () => true,
    generate: (random, runId) => property.generate(random, runId),
    shrink: (value) => property.shrink(value),
    run: (value) => {
      const run = property.run(value);
      lastRun = run.catch(() => undefined);
      return run;
    },
    runBeforeEach: () => property.runBeforeEach(),
    runAfterEach: () => property.runAfterEach(),
  };
  try {
    await fc.assert(tracked, fuzzParameters(numRuns));
  } finally {
    await lastRun;
  }
}

/** One edit of a byte string. */
type Edit =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'repeat'; at: number; length: number; times: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 16 }),
    times: fc.integer({ min: 2, max: 64 }),
  }),
);

function apply(bytes: Uint8Array, change: Edit): Uint8Array {
  if (bytes.length === 0) return change.kind === 'insert' ? change.bytes : bytes;
  const at = change.at % (bytes.length + 1);
  switch (change.kind) {
    case 'set': {
      const copy = bytes.slice();
      copy[at % bytes.length] = change.byte;
      return copy;
    }
    case 'insert':
      return concat([bytes.subarray(0, at), change.bytes, bytes.subarray(at)]);
    case 'delete':
      return concat([bytes.subarray(0, at), bytes.subarray(at + change.length)]);
    case 'truncate':
      return bytes.subarray(0, at);
    case 'repeat': {
      const piece = bytes.subarray(at, at + change.length);
      return concat([
        bytes.subarray(0, at),
        ...new Array<Uint8Array>(change.times).fill(piece),
        bytes.subarray(at),
      ]);
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Byte strings made from valid files by a few random edits (set a byte, insert or delete some, truncate, repeat
 * a piece), mixed with plain random bytes: most reach deep into a parser, past the checks random bytes fail.
 *
 * @example
 * fc.assert(fc.property(mutatedBytes([encodeIdx([2, 28, 28], pixels)]), (bytes) => { … }));
 */
export function mutatedBytes(valid: readonly Uint8Array[], maxEdits = 4): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.constantFrom(...valid), fc.array(edit, { minLength: 1, maxLength: maxEdits }))
    .map(([bytes, edits]) => edits.reduce(apply, bytes));
  return fc.oneof(
    { weight: 8, arbitrary: mutated },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  );
}

/** A class of error a parser may throw (whatever its constructor takes). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Runs `parse`, and returns its result or `undefined` when it threw one of `allowed`; rethrows anything else
 * (so fast-check reports and shrinks it), and fails when resident memory passes {@link FUZZ_MAX_RSS}.
 *
 * @example
 * const parsed = await resultOrAllowed(() => parseNpz(bytes, 'f.npz'), [DatasetFormatError]);
 */
export async function resultOrAllowed<T>(
  parse: () => T | Promise<T>,
  allowed: readonly ErrorClass[],
): Promise<T | undefined> {
  let result: T | undefined;
  try {
    result = await parse();
  } catch (error) {
    if (!allowed.some((type) => error instanceof type)) throw error;
    result = undefined;
  }
  const rss = process.memoryUsage.rss();
  if (rss > FUZZ_MAX_RSS)
    throw new Error(`resident memory ${Math.round(rss / 2 ** 20)} MiB passed the bound`);
  return result;
}
