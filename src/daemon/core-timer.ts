// The core's one timer: the core asks for a TimerFired at or after a time
// (ACT_TIMER); the host keeps a single setTimeout for the earliest time asked
// and feeds the current time in when it fires. The core never reads a clock.
export class CoreTimer {
  readonly #fire: (nowMs: number) => void;
  #timer: NodeJS.Timeout | undefined;
  #dueMs = Infinity;

  constructor(fire: (nowMs: number) => void) { this.#fire = fire; }

  /** Fires at dueMs (wall-clock ms) unless an earlier firing is already armed. */
  arm(dueMs: number): void {
    if (this.#timer && dueMs >= this.#dueMs) return;
    clearTimeout(this.#timer);
    this.#dueMs = dueMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#dueMs = Infinity;
      this.#fire(Date.now());
    }, Math.max(0, dueMs - Date.now()));
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dueMs = Infinity;
  }
}
