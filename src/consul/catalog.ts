// /v1/catalog/service/<name>: where the confds (and later ios, hax) are.
import type { ConsulTransport } from './transport.ts';
import { waitMs } from './kv.ts';

export interface CatalogService {
  Node: string;
  Address: string;
  ServiceID: string;
  ServiceName: string;
  ServiceAddress: string;
  ServicePort: number;
  ServiceMeta: Record<string, string> | null;
  ServiceTags: string[] | null;
}

export class CatalogEndpoint {
  readonly #t: ConsulTransport;
  constructor(transport: ConsulTransport) { this.#t = transport; }

  async service(name: string, options: { index?: number; wait?: string; signal?: AbortSignal } = {}): Promise<{ services: CatalogService[]; index?: number }> {
    const res = await this.#t.request<CatalogService[]>(`/v1/catalog/service/${encodeURIComponent(name)}`, {
      query: { index: options.index, wait: options.wait },
      timeoutMs: options.wait ? waitMs(options.wait) + 15_000 : undefined, signal: options.signal,
    });
    return { services: res.body ?? [], index: res.index };
  }

  /** PUT /v1/catalog/register: a catalog-only node (no agent) with its service and checks. */
  async register(reg: CatalogRegistration): Promise<void> {
    await this.#t.request('/v1/catalog/register', { method: 'PUT', body: JSON.stringify(reg) });
  }
}

export interface CatalogRegistration {
  Node: string; Address: string;
  Service?: { ID: string; Service: string; Address?: string; Port?: number; Meta?: Record<string, string> };
  Checks?: { CheckID: string; Name: string; Status: string; ServiceID?: string }[];
}
