// Performs the core's RC-election actions (ACT_ELECTION; the rules are in
// assembly/machine/election.ts) against the local Consul agent — create a
// session, acquire `leader`, destroy a session — and reports each outcome
// back as an ElectionResult event; arms the call-back (ElectionTick) the
// core asks for. It decides nothing: a failed call is reported as not ok.
import { randomInt } from 'node:crypto';
import type { ConsulClient } from '../consul/client.ts';
import type { CoreAction } from '../core/core-host.ts';
import type { CoreEvent } from '../core/core-events.ts';
import type { Logger } from '../log.ts';

type ElectionAction = Extract<CoreAction, { kind: 'election' }>;

/** A random u32 for the core's back-off (it has no randomness of its own). */
export const electionRandom = (): number => randomInt(0, 2 ** 32 - 1);

export class ElectionPerformer {
  readonly #consul: ConsulClient;
  readonly #report: (event: CoreEvent) => void;
  readonly #log: Logger;
  #tick: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The session created last and not destroyed since (destroyed at stop: the key is released at once, not when the checks fail). */
  #session = '';

  constructor(consul: ConsulClient, report: (event: CoreEvent) => void, log: Logger) {
    this.#consul = consul;
    this.#report = report;
    this.#log = log;
  }

  perform(a: ElectionAction): void {
    if (this.#stopped) return;
    if (a.tickAtMs > 0) this.#arm(a.tickAtMs);
    if (a.op === 'none') return;
    void this.#run(a);
  }

  /**
   * No more call-backs; the session hax holds is destroyed, so that an RC
   * that stops gives the key up now (the others stand after the lock delay)
   * rather than when its checks turn critical.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#tick);
    const session = this.#session;
    this.#session = '';
    if (!session) return;
    try {
      await this.#consul.session.destroy(session);
    } catch (error) {
      this.#log.log('warn', 'RC election: could not destroy the session at stop; it dies with its checks', { session, error: (error as Error).message });
    }
  }

  #arm(atMs: number): void {
    clearTimeout(this.#tick);
    this.#tick = setTimeout(() => {
      this.#tick = undefined;
      if (!this.#stopped) this.#report({ type: 'election-tick', nowMs: Date.now(), random: electionRandom() });
    }, Math.max(0, atMs - Date.now()) + 1);   // +1: never before the time the core gave
    this.#tick.unref();
  }

  async #run(a: ElectionAction): Promise<void> {
    let ok = false;
    let session = a.session;
    try {
      switch (a.op) {
        case 'create-session':
          session = await this.#consul.session.create({ Name: 'leader', Checks: a.checks, LockDelay: `${a.lockDelaySec}s`, Behavior: 'release' });
          ok = session.length > 0;
          if (ok) this.#session = session;
          break;
        case 'acquire':
          ok = await this.#consul.kv.acquire('leader', a.value, a.session);
          break;
        case 'destroy-session':
          if (this.#session === a.session) this.#session = '';
          ok = await this.#consul.session.destroy(a.session);
          break;
      }
    } catch (error) {
      this.#log.log('warn', 'RC election: Consul call failed', { op: a.op, error: (error as Error).message });
    }
    if (this.#stopped) return;
    this.#report({ type: 'election-result', op: a.op, ok, session, nowMs: Date.now(), random: electionRandom() });
  }
}
