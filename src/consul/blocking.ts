// One loop for every Consul blocking query hax keeps open (consul-facts.md
// A4, consul-template's view loop): send back the last X-Consul-Index, treat
// "same index" as "no change" (a timeout looks exactly like that), reset to 0
// when the index goes backwards, skip results equal to the last one, and back
// off with jitter on errors. Each iteration says why it continued. Under
// churn a watch may be rate-limited by a token bucket (burst 2, as A4
// recommends): a single change is still seen at once, but a stream of them
// (hax's own writes under a watched prefix) costs one read per interval, not
// one per write, and the reads coalesce into the newest state.

export interface BlockingResult<T> { value: T; index?: number }

export interface BlockingWatchInput<T> {
  /** Human name for logs: "catalog confd", "kv leader". */
  name: string;
  /** One blocking read; `index` 0 means "answer at once". */
  fetch(index: number, wait: string, signal: AbortSignal): Promise<BlockingResult<T>>;
  /** Called with each changed value, never concurrently. */
  onChange(value: T, index: number): void | Promise<void>;
  /** Called for each failed read, with the delay before the next try. */
  onError?(error: unknown, retryInMs: number): void;
  /** Called for each iteration that did not change anything, with the reason. */
  onSkip?(reason: string): void;
  /** Blocking wait Consul may hold the request (Go duration). */
  wait?: string;
  /**
   * Least average time between two reads under churn (token bucket, burst 2).
   * Absent: no limit. A read that returns nothing new still spends a token.
   */
  minIntervalMs?: number;
  /**
   * Skip a result equal to the last one (default true). A watch that diffs
   * its results itself (by ModifyIndex) turns it off: comparing meant
   * serialising the whole result each time, 7 MB for m0conf/ at 1,000 nodes.
   */
  dedupe?: boolean;
  /**
   * The index of the first read (default 0: answer at once). A watch started
   * on a state it already holds (read by someone else at that index) blocks
   * from the start.
   */
  startIndex?: number;
  /** Random source in [0,1) for jitter; injectable for tests. */
  random?: () => number;
}

/** The onError/onSkip hooks every watch of the daemon uses: failures warn, skips go to debug. */
export function watchLogHooks(onLog: (level: 'warn' | 'debug', msg: string, fields?: Record<string, unknown>) => void) {
  return {
    onError: (name: string) => (error: unknown, retryInMs: number) =>
      onLog('warn', `${name} watch failed; retrying`, { error: (error as Error).message, retryInMs }),
    onSkip: (reason: string) => onLog('debug', reason),
  };
}

export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 30_000;
export const RESET_PAUSE_MS = 1_000;

/** Next index to send: the new one, or 0 when it went backwards or is 0. */
export function nextIndex(previous: number, returned: number | undefined): number {
  if (returned === undefined || returned <= 0) return 0;
  return returned < previous ? 0 : returned;
}

export function backoffMs(failures: number, random: () => number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures - 1, 16));
  return Math.round(base / 2 + (base / 2) * random());
}

export class BlockingWatch<T> {
  readonly #input: BlockingWatchInput<T>;
  readonly #abort = new AbortController();
  #done: Promise<void> | undefined;
  #first: Promise<void>;
  #resolveFirst!: () => void;

  constructor(input: BlockingWatchInput<T>) {
    this.#input = input;
    this.#first = new Promise((r) => { this.#resolveFirst = r; });
  }

  start(): this {
    this.#done ??= this.#loop();
    return this;
  }

  /** Resolves after the first successful read was handed to onChange. */
  ready(): Promise<void> { return this.#first; }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }

  async #loop(): Promise<void> {
    const { fetch, onChange, onError, onSkip } = this.#input;
    const random = this.#input.random ?? Math.random;
    const signal = this.#abort.signal;
    let index = this.#input.startIndex ?? 0;
    // The first result is always handed on, even `undefined` (a missing key).
    let last: { serialised: string | undefined } | undefined;
    let failures = 0;
    const bucket = this.#input.minIntervalMs ? new TokenBucket(2, this.#input.minIntervalMs) : undefined;
    while (!signal.aborted) {
      const waitMs = bucket?.take(performance.now()) ?? 0;
      if (waitMs > 0) {
        onSkip?.(`${this.#input.name}: rate-limited, next read in ${Math.round(waitMs)} ms`);
        await sleep(waitMs, signal);
        if (signal.aborted) break;
      }
      let result: BlockingResult<T>;
      try {
        result = await fetch(index, this.#input.wait ?? '60s', signal);
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        const delay = backoffMs(failures, random);
        onError?.(error, delay);
        await sleep(delay, signal);
        continue;
      }
      failures = 0;
      const next = nextIndex(index, result.index);
      if (index !== 0 && result.index === index) { onSkip?.(`${this.#input.name}: index ${index} unchanged (timeout or unrelated write)`); continue; }
      if (next === 0) {
        // An index that went backwards (snapshot restore, deleted keys) or is
        // missing cannot block; re-read from 0, but not in a tight loop.
        onSkip?.(`${this.#input.name}: index went from ${index} to ${result.index ?? 'none'}; reset to 0`);
        await sleep(RESET_PAUSE_MS, signal);
      }
      index = next;
      if (this.#input.dedupe !== false) {
        const serialised = JSON.stringify(result.value);
        if (last && serialised === last.serialised) { onSkip?.(`${this.#input.name}: result equal to the last one`); continue; }
        last = { serialised };
      }
      await onChange(result.value, index);
      this.#resolveFirst();
    }
  }
}

/** `capacity` tokens, one more every `everyMs`; take() says how long to wait for one (and takes it). */
export class TokenBucket {
  #tokens: number;
  #at = -Infinity;
  constructor(readonly capacity: number, readonly everyMs: number) { this.#tokens = capacity; }

  take(nowMs: number): number {
    if (this.#at !== -Infinity) this.#tokens = Math.min(this.capacity, this.#tokens + (nowMs - this.#at) / this.everyMs);
    this.#at = nowMs;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : -this.#tokens * this.everyMs;
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}
