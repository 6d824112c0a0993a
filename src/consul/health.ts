// /v1/health/service/<name>: each instance with its node's serfHealth and
// its own checks (consul-facts.md A5); blocking-capable.
import type { ConsulTransport } from './transport.ts';
import { waitMs } from './kv.ts';

export interface HealthCheckEntry { Node: string; CheckID: string; Status: string; ServiceID: string; ServiceName?: string }
export interface HealthServiceEntry {
  Node: { Node: string; Address: string };
  Service: { ID: string; Service: string; Address: string; Port: number; Meta: Record<string, string> | null };
  Checks: HealthCheckEntry[];
}

export class HealthEndpoint {
  readonly #t: ConsulTransport;
  constructor(transport: ConsulTransport) { this.#t = transport; }

  async service(name: string, options: { index?: number; wait?: string; signal?: AbortSignal } = {}): Promise<{ entries: HealthServiceEntry[]; index?: number }> {
    const res = await this.#t.request<HealthServiceEntry[]>(`/v1/health/service/${encodeURIComponent(name)}`, {
      query: { index: options.index, wait: options.wait },
      timeoutMs: options.wait ? waitMs(options.wait) + 15_000 : undefined, signal: options.signal,
    });
    return { entries: res.body ?? [], index: res.index };
  }
}
