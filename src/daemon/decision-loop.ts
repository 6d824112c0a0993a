// The daemon's one loop: an event in, the core decides (core.handle), the
// decision is recorded (reasons, feed, error count) and its actions are
// performed. Everything the daemon learns from Motr, Consul or its own
// timer goes through handle(); a decision taken by a direct core query (an
// HTTP route, the broadcast-queue consumer) goes through perform().
import type { CoreHost, Decision } from '../core/core-host.ts';
import type { CoreEvent } from '../core/core-events.ts';
import type { Feed } from '../debug/feed.ts';
import { feedOfDecision } from '../debug/daemon-feed.ts';
import type { Logger } from '../log.ts';
import type { HaxMetrics } from '../metrics.ts';
import type { Performer } from './performer.ts';

/** Reason codes kept for tests and benchmarks; trimmed by half when full. */
const REASONS_KEPT = 20_000;

export interface DecisionLoopDeps {
  core: CoreHost;
  performer: Performer;
  feed: Feed;
  metrics: HaxMetrics;
  log: Logger;
}

export class DecisionLoop {
  readonly #d: DecisionLoopDeps;
  /** Every reason code decided, in order (bounded). */
  readonly reasons: string[] = [];

  constructor(deps: DecisionLoopDeps) { this.#d = deps; }

  /** One event in: the core decides, the actions are performed. `fields` go to the log line only. */
  handle(event: CoreEvent, fields?: Record<string, unknown>): Decision {
    const decision = this.#d.core.handle(event);
    this.perform(decision, fields);
    return decision;
  }

  /** Records a decision and performs its actions. */
  perform(decision: Decision, fields: Record<string, unknown> = {}): void {
    this.reasons.push(decision.reason.code);
    if (this.reasons.length > REASONS_KEPT) this.reasons.splice(0, REASONS_KEPT / 2);
    if (decision.error) this.#d.metrics.errors.inc({ code: decision.error.code });
    try { this.#d.feed.publish(feedOfDecision(decision)); } catch { /* the feed never changes what hax does */ }
    this.#d.performer.apply(decision, decision.error ? { ...fields, code: decision.error.code } : fields, this.#d.log);
  }
}
