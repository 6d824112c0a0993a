// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format (version 0.0.4) at GET /metrics.
// Hot paths only add to numbers; text is built when someone scrapes.
import { monitorEventLoopDelay } from 'node:perf_hooks';

type Labels = Record<string, string>;
const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels, extra: Labels = {}) => {
  const all = { ...labels, ...extra };
  const parts = Object.entries(all).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

interface Metric { render(): string }

export class Counter implements Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const e = this.#values.get(k);
    if (e) e.value += by; else this.#values.set(k, { labels, value: by });
  }
  get(labels: Labels = {}): number { return this.#values.get(key(labels))?.value ?? 0; }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.#values.size === 0) lines.push(`${this.name} 0`);
    for (const { labels, value } of this.#values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  constructor(readonly name: string, readonly help: string, readonly read: () => number | { labels: Labels; value: number }[]) {}
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const v = this.read();
    if (typeof v === 'number') lines.push(`${this.name} ${v}`);
    else for (const { labels, value } of v) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: number[]) {}
  observe(value: number, labels: Labels = {}): void {
    const k = key(labels);
    let s = this.#series.get(k);
    if (!s) { s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }; this.#series.set(k, s); }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i] += 1;
    s.sum += value;
    s.count += 1;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.#series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText(s.labels, { le: String(b) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText(s.labels, { le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** Seconds: 0.5 ms … 10 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Registry {
  readonly #metrics: Metric[] = [];
  counter(name: string, help: string): Counter { return this.#add(new Counter(name, help)); }
  gauge(name: string, help: string, read: Gauge['read']): Gauge { return this.#add(new Gauge(name, help, read)); }
  histogram(name: string, help: string, buckets = LATENCY_BUCKETS): Histogram { return this.#add(new Histogram(name, help, buckets)); }
  render(): string { return this.#metrics.map((m) => m.render()).join('\n') + '\n'; }
  #add<T extends Metric>(m: T): T { this.#metrics.push(m); return m; }
}

/** The metrics hax exports; the daemon records into them. */
/**
 * The process itself: resident memory, and the event loop's delay over the
 * time since the previous scrape (p99 and max, seconds) — what a stuck or
 * flooded hax shows first, before the systemd watchdog fires.
 */
function processGauges(registry: Registry): void {
  registry.gauge('process_resident_memory_bytes', 'Resident memory of the hax process', () => process.memoryUsage().rss);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  registry.gauge('hax_event_loop_delay_seconds', 'Event-loop delay since the previous scrape, by quantile', () => {
    const out = [
      { labels: { quantile: '0.99' }, value: delay.count ? delay.percentile(99) / 1e9 : 0 },
      { labels: { quantile: '1' }, value: delay.count ? delay.max / 1e9 : 0 },
    ];
    delay.reset();
    return out;
  });
}

export function haxMetrics(registry = new Registry()) {
  processGauges(registry);
  return {
    registry,
    messages: registry.counter('hax_messages_total', 'HA messages received from Motr, by type'),
    broadcasts: registry.counter('hax_broadcasts_total', 'NVEC SET messages sent to links'),
    broadcastNotes: registry.counter('hax_broadcast_notes_total', 'HA state notes broadcast'),
    deliveryLatency: registry.histogram('hax_delivery_latency_seconds', 'From sending a message on a link to its delivery being confirmed'),
    consulLatency: registry.histogram('hax_consul_request_seconds', 'Consul HTTP request latency, by operation'),
    errors: registry.counter('hax_errors_total', 'Errors, by code'),
    httpRequests: registry.counter('hax_http_requests_total', 'HTTP requests, by route and status'),
  };
}
export type HaxMetrics = ReturnType<typeof haxMetrics>;
