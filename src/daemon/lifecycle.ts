// Start-up and shutdown steps of the daemon that are about time and order,
// not about what hax decides: waiting for Consul, giving up on a signal,
// draining writes with a bound.
import { backoffMs } from '../consul/blocking.ts';
import { HaxError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ConsulWriter } from './consul-writer.ts';

/** Longest wait at shutdown for in-flight Consul writes. */
export const DRAIN_MS = 5000;

/** Rejects when the signal aborts; never resolves otherwise. */
export function abortion(signal: AbortSignal | undefined): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    const fail = () => reject(new HaxError('HAX_ERR_START_ABORTED', 'start-up was abandoned (signal)'));
    if (signal?.aborted) fail(); else signal?.addEventListener('abort', fail, { once: true });
  });
  p.catch(() => {});   // observed by whoever races it
  return p;
}

/** Retries a start-up read while Consul is unreachable (hax waits for its agent, as the original did). */
export async function untilConsul<T>(read: () => Promise<T>, log: Logger, signal: AbortSignal | undefined): Promise<T> {
  for (let failures = 1; ; failures++) {
    try { return await read(); } catch (error) {
      if (signal?.aborted) throw error;
      const delay = backoffMs(failures, Math.random);
      log.log('warn', 'Consul not answering at start-up; retrying', { error: (error as Error).message, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Finishes in-flight writes, but never hangs on a Consul that is gone; then stops the writer. */
export async function drainWrites(writer: ConsulWriter, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    writer.drained().then(() => true),
    new Promise<boolean>((r) => { timer = setTimeout(() => r(false), DRAIN_MS); }),
  ]);
  clearTimeout(timer);
  if (!drained) log.log('warn', 'Consul writes still pending at shutdown; their messages stay unacknowledged (Motr re-sends them)', { backlog: writer.backlog });
  await writer.stop();
}

/** Runs every cleanup step even when one fails (a start-up that failed half way). */
export async function undo(steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  for (const step of steps) await step()?.catch(() => {});
}
