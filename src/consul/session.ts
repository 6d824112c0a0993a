// /v1/session: the `leader` key is held by a session; its Node is the
// principal RM node (hax-reference.md §6.3).
import type { ConsulTransport } from './transport.ts';

export interface SessionInfo { ID: string; Name: string; Node: string; Checks?: string[] }

export class SessionEndpoint {
  readonly #t: ConsulTransport;
  constructor(transport: ConsulTransport) { this.#t = transport; }

  /** The session, or undefined when it no longer exists. */
  async info(id: string): Promise<SessionInfo | undefined> {
    const res = await this.#t.request<SessionInfo[]>(`/v1/session/info/${encodeURIComponent(id)}`);
    return res.body?.[0];
  }

  async create(body: { Name: string; Node?: string; Checks?: string[]; LockDelay?: string; TTL?: string; Behavior?: 'release' | 'delete' }): Promise<string> {
    const res = await this.#t.request<{ ID: string }>('/v1/session/create', { method: 'PUT', body: JSON.stringify(body) });
    return res.body!.ID;
  }

  /** Destroys a session (a key it holds is released); true when Consul said so. */
  async destroy(id: string): Promise<boolean> {
    const res = await this.#t.request<boolean>(`/v1/session/destroy/${encodeURIComponent(id)}`, { method: 'PUT' });
    return res.status === 200 && res.body === true;
  }
}
