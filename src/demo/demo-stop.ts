// How a demo ends on Ctrl-C, SIGTERM or SIGHUP at any moment, not only once
// its story is told: the signal handlers are installed first thing (Node's
// default would exit at once and orphan the agents and hax processes the
// demo started), and turn the signal into an AbortSignal that every step
// and every wait of the story checks. The story then unwinds into the
// demo's `finally`, which stops everything it started by pid. Its output
// closing (`hax demo | head`: EPIPE, an unhandled error that would exit at
// once, leaving every agent and hax running) stops it the same way.
const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DemoStopped extends Error {
  constructor(readonly signal: string) { super(`stopped by ${signal}`); }
}

export interface StopSignals {
  readonly signal: AbortSignal;
  /** Throws DemoStopped once a stop signal came. */
  check(): void;
  /** Resolves after `ms`, or as soon as a stop signal comes (whichever is first). */
  sleep(ms: number): Promise<void>;
  /** Removes the handlers (Node's default behaviour again). */
  dispose(): void;
}

export function onStopSignals(): StopSignals {
  const controller = new AbortController();
  const stopBy = (why: string) => { if (!controller.signal.aborted) controller.abort(new DemoStopped(why)); };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => {
    const handler = () => stopBy(name);
    process.on(name, handler);
    return [name, handler] as const;
  });
  // every later write to the closed stream fails the same way and lands here too
  const onOutputError = (error: NodeJS.ErrnoException) => stopBy(`its output closing (${error.code ?? error.message})`);
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  const { signal } = controller;
  return {
    signal,
    check: () => { if (signal.aborted) throw signal.reason; },
    sleep: (ms) => new Promise((resolve) => {
      if (signal.aborted) { resolve(); return; }
      const t = setTimeout(done, ms);
      function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
      signal.addEventListener('abort', done);
    }),
    // the output handlers stay: a write after the demo's end may still fail, and must not crash it
    dispose: () => { for (const [name, h] of handlers) process.off(name, h); },
  };
}

/**
 * Polls `cond` every `stepMs` until it holds and returns the time it held
 * (Date.now()); throws when `timeoutMs` pass first (naming `what` and
 * `detail()`) or DemoStopped when a stop signal comes.
 */
export async function waitUntil(stop: StopSignals, what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number,
  detail?: () => string, stepMs = 50): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    stop.check();
    if (await cond()) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleepMs(stepMs);
  }
}
