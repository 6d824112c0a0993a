// Runs async jobs one at a time per key (a process fid's Consul writes must
// land in the order Motr sent its events) and concurrently across keys.
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  run(key: string, job: () => Promise<void>): Promise<void> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(job, job);
    const tail = next.catch(() => {}).finally(() => { if (this.#tails.get(key) === tail) this.#tails.delete(key); });
    this.#tails.set(key, tail);
    return next;
  }

  get pending(): number { return this.#tails.size; }

  /** Resolves when every queued job has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
