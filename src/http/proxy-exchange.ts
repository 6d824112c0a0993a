// One read forwarded by hax's Consul proxy, from the slot it takes to the end
// of both its sides. The slot (proxy-limits.ts) stands for a connection at
// the agent, so it is given back only once the upstream request is closed
// AND the client's answer is: never while a socket at the agent may still be
// open, or the proxy would hold more than its bound. The exchange has a
// deadline of its own (the read's wait, Consul's jitter of wait/16 and a
// margin): an agent that accepts and never answers, or answers a byte at a
// time, cannot hold a slot for ever.
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { sendCoded } from './proxy-answer.ts';

/** A failure of hax's own, not the agent's: answered 500 HAX_ERR_INTERNAL, never blamed on Consul. */
export class ProxyFault extends Error {}

export interface ExchangePlan {
  /** The request line's target at the agent: built from what the checks produced, never the client's bytes. */
  upstreamTarget: string;
  /** How long the whole exchange may take, ms. */
  lifetimeMs: number;
  /** The agent, for messages (its origin; never a path or credentials). */
  agentOrigin: string;
}

export class Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly plan: ExchangePlan;
  #upstream: ClientRequest | undefined;
  #upstreamClosed = false;
  #downstreamClosed = false;
  #timedOut = false;
  #settled = false;
  readonly #timer: NodeJS.Timeout;
  readonly #release: () => void;
  readonly #onError: (message: string) => void;

  /** `release` gives back the slot; it is called once, when both sides are closed (or the exchange is abandoned). */
  constructor(req: IncomingMessage, res: ServerResponse, plan: ExchangePlan, release: () => void, onError: (message: string) => void) {
    this.req = req;
    this.res = res;
    this.plan = plan;
    this.#release = release;
    this.#onError = onError;
    this.#timer = setTimeout(() => this.#expire(), plan.lifetimeMs);
    this.#timer.unref();
    res.on('close', () => {
      this.#downstreamClosed = true;
      // http-proxy aborts the upstream request on the client request's
      // 'aborted' (enough today: the proxy never reads that request). The
      // event is deprecated in Node and not emitted once a request has been
      // read to its end, so the answer's 'close' (the client gone, or the
      // answer complete) lets go of the agent too.
      if (!this.#upstreamClosed) this.#upstream?.destroy();
      this.#settle();
    });
  }

  get upstream(): ClientRequest | undefined { return this.#upstream; }

  /** The upstream request http-proxy created for this exchange, from the moment it exists (before it has a socket). */
  attach(upstream: ClientRequest): void {
    if (this.#upstream) throw new Error('an exchange has one upstream request');
    this.#upstream = upstream;
    upstream.on('close', () => { this.#upstreamClosed = true; this.#settle(); });
    if (this.#downstreamClosed || this.#timedOut || this.#settled) upstream.destroy();
  }

  /**
   * The upstream request failed (the agent unreachable, the deadline, the
   * proxy closing): a coded 502, or 504 past the deadline (500 for a fault
   * of hax's). Once the answer's head went out, the client's connection is
   * cut instead, so a partial answer never looks whole.
   */
  fail(error: Error): void {
    if (this.#settled) return;                  // abandoned: forward() answered already
    if (this.#upstream && !this.#upstream.destroyed) this.#upstream.destroy();
    if (this.res.headersSent || this.res.destroyed) { this.res.destroy(); return; }
    this.#onError(error.message);
    if (error instanceof ProxyFault) {
      sendCoded(this.res, 500, 'HAX_ERR_INTERNAL', error.message, 'Unexpected error has happened');
      return;
    }
    const seconds = Math.round(this.plan.lifetimeMs / 1000);
    if (this.#timedOut) {
      sendCoded(this.res, 504, 'HAX_ERR_CONSUL_UNREACHABLE', `Consul agent at ${this.plan.agentOrigin} did not answer within ${seconds} s`, 'Gateway timeout');
    } else {
      sendCoded(this.res, 502, 'HAX_ERR_CONSUL_UNREACHABLE', `Consul agent unreachable at ${this.plan.agentOrigin}: ${error.message}`, 'Bad gateway');
    }
  }

  /** Lets go of the agent (hax stops, or forwarding could not start); the answer follows from the upstream request's error. */
  cancel(): void {
    if (this.#upstream) this.#upstream.destroy();
  }

  /** Forwarding could not start: nothing upstream will close, so the slot is given back now. */
  abandon(): void {
    this.#upstream?.destroy();
    this.#finish();
  }

  #expire(): void {
    this.#timedOut = true;
    // The error reaches fail() through http-proxy's 'error' event, which answers 504.
    this.#upstream?.destroy(new Error(`no complete answer within ${Math.round(this.plan.lifetimeMs / 1000)} s`));
    if (this.res.headersSent) this.res.destroy();
  }

  #settle(): void {
    if (this.#upstreamClosed && this.#downstreamClosed) this.#finish();
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#release();
  }
}
