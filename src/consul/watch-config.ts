// The Consul agent configuration that points watches at hax: one `service`
// watch per Motr service name, each POSTing the service's health to hax's
// `POST /` (consul-facts.md A2: no retries, fires on start and reload).

export interface WatchConfigInput {
  /** hax's HTTP base URL as the agent reaches it, e.g. http://127.0.0.1:8008 */
  haxUrl: string;
  services: string[];
  /** Extra headers, e.g. an authorisation token. */
  headers?: Record<string, string[]>;
}

export function watchConfig(input: WatchConfigInput): { watches: unknown[] } {
  return {
    watches: input.services.map((service) => ({
      type: 'service', service, handler_type: 'http',
      http_handler_config: { path: `${input.haxUrl}/`, method: 'POST', timeout: '10s', ...(input.headers ? { header: input.headers } : {}) },
    })),
  };
}
