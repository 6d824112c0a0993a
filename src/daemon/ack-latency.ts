// Socket → durable → acknowledged latency of Motr's messages: when a message
// arrived from the shim and when hax acknowledged it. Benchmarks read the
// samples (bench/events, bench/feed). Both tables are bounded: a message
// never acknowledged (its link went away) must not grow memory.
const PENDING_MAX = 100_000;
const SAMPLES_MAX = 100_000;

export class AckLatency {
  readonly #receivedAt = new Map<string, number>();
  /** Latencies of the last acknowledged messages, ms (bounded; trimmed by half when full). */
  readonly samplesMs: number[] = [];

  received(linkId: number, tag: number): void {
    if (this.#receivedAt.size < PENDING_MAX) this.#receivedAt.set(`${linkId}:${tag}`, performance.now());
  }

  acknowledged(linkId: number, tag: number): void {
    const key = `${linkId}:${tag}`;
    const t0 = this.#receivedAt.get(key);
    if (t0 === undefined) return;
    this.#receivedAt.delete(key);
    this.samplesMs.push(performance.now() - t0);
    if (this.samplesMs.length > SAMPLES_MAX) this.samplesMs.splice(0, SAMPLES_MAX / 2);
  }
}
