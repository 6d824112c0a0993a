// /v1/agent: this node's identity and local service registration.
import type { ConsulTransport } from './transport.ts';

export interface ServiceRegistration {
  ID: string; Name: string; Address?: string; Port?: number; Meta?: Record<string, string>; Tags?: string[];
  Check?: { CheckID?: string; Name?: string; TTL?: string; Status?: 'passing' | 'warning' | 'critical' };
}

/** A service as /v1/agent/services lists it (the fields hax reads). */
export interface AgentService { ID: string; Service: string; Address?: string; Port?: number; Meta?: Record<string, string> }

export class AgentEndpoint {
  readonly #t: ConsulTransport;
  constructor(transport: ConsulTransport) { this.#t = transport; }

  async nodeName(): Promise<string> {
    const res = await this.#t.request<{ Config: { NodeName: string } }>('/v1/agent/self');
    return res.body!.Config.NodeName;
  }

  /** The services registered on this agent, by service ID. */
  async services(): Promise<Record<string, AgentService>> {
    return (await this.#t.request<Record<string, AgentService>>('/v1/agent/services')).body ?? {};
  }

  /** This agent's checks, by check ID (the fields hax reads; `Type` is ttl, http, script…, from Consul 1.7). */
  async checks(): Promise<Record<string, { CheckID: string; Status: string; Type?: string; Output?: string }>> {
    return (await this.#t.request<Record<string, { CheckID: string; Status: string; Type?: string; Output?: string }>>('/v1/agent/checks')).body ?? {};
  }

  /** The cluster's members as this agent's gossip sees them (Status 1: alive). */
  async members(): Promise<{ Name: string; Status: number }[]> {
    return (await this.#t.request<{ Name: string; Status: number }[]>('/v1/agent/members')).body ?? [];
  }

  async registerService(reg: ServiceRegistration): Promise<void> {
    await this.#t.request('/v1/agent/service/register', { method: 'PUT', body: JSON.stringify(reg) });
  }

  /** Sets a TTL check's status (pass | warn | fail). */
  async setCheck(checkId: string, status: 'pass' | 'warn' | 'fail', note = ''): Promise<void> {
    await this.#t.request(`/v1/agent/check/${status}/${encodeURIComponent(checkId)}`, { method: 'PUT', query: { note: note || undefined } });
  }
}
