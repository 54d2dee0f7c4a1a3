/**
 * Runs an async job so that at most one is in flight and only the latest request waits: requests made while a
 * job runs collapse into one run after it. Drawing never waits on inference.
 *
 * @example
 * const predictLatest = latestOnly(async () => render(await predict()));
 * predictLatest(); predictLatest(); predictLatest(); // runs twice: now, and once more after the first
 */
export function latestOnly(job: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false;
  let pending = false;
  const run = async (): Promise<void> => {
    running = true;
    try {
      do {
        pending = false;
        try {
          await job();
        } catch (error) {
          onError(error);
        }
      } while (pending);
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) pending = true;
    else void run();
  };
}

/**
 * Delays calls until `waitMs` has passed without another one; `flush()` runs a waiting call now.
 *
 * @example
 * const later = debounce(() => console.log('drawn'), 60);
 * later(); later(); // logs once, 60 ms after the second call
 */
export function debounce(action: () => void, waitMs: number): { (): void; flush(): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      action();
    }, waitMs);
  };
  debounced.flush = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    action();
  };
  debounced.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return debounced;
}
