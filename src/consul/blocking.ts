// One loop for every Consul blocking query hax keeps open (consul-facts.md
// A4, consul-template's view loop): send back the last X-Consul-Index, treat
// "same index" as "no change" (a timeout looks exactly like that), reset to 0
// when the index goes backwards, skip results equal to the last one, and back
// off with jitter on errors. Each iteration says why it continued.

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
    let index = 0;
    // The first result is always handed on, even `undefined` (a missing key).
    let last: { serialised: string | undefined } | undefined;
    let failures = 0;
    while (!signal.aborted) {
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
      const serialised = JSON.stringify(result.value);
      if (last && serialised === last.serialised) { onSkip?.(`${this.#input.name}: result equal to the last one`); continue; }
      last = { serialised };
      await onChange(result.value, index);
      this.#resolveFirst();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}
