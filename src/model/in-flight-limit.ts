// At most N requests of one kind in flight; the rest wait their turn. A woken
// shard asks each of its read shards for its index at once (conf-watch.ts),
// and under churn many shards wake together: unbounded, that was hundreds of
// connections from one address, and Consul 1.8 refuses a client's 201st
// (limits.http_max_conns_per_client; it reset the test's own requests).
export class InFlightLimit {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(readonly max: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#running++;
    try {
      return await job();
    } finally {
      // the slot passes straight to the next in line, or is freed
      const next = this.#waiting.shift();
      if (next) next(); else this.#running--;
    }
  }
}
