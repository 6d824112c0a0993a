// The Consul agent configuration that points watches at hax (consul-facts.md
// A2: HTTP handlers get the full state, fire on start and on reload, and are
// never retried): one `service` watch per Motr service name → POST /, and one
// `keyprefix` watch on bq/ → POST /watcher/bq.

export interface WatchConfigInput {
  /** hax's HTTP base URL as the agent reaches it, e.g. http://127.0.0.1:8008 */
  haxUrl: string;
  services: string[];
  /** Also watch the broadcast queue bq/ (default true). */
  broadcastQueue?: boolean;
  /** Shared secret sent as `Authorization: Bearer <token>`. */
  token?: string;
}

export function watchConfig(input: WatchConfigInput): { watches: unknown[] } {
  const handler = (path: string) => ({
    path: `${input.haxUrl}${path}`, method: 'POST', timeout: '10s',
    ...(input.token ? { header: { Authorization: [`Bearer ${input.token}`] } } : {}),
  });
  const watches: unknown[] = input.services.map((service) => ({ type: 'service', service, handler_type: 'http', http_handler_config: handler('/') }));
  if (input.broadcastQueue !== false) watches.push({ type: 'keyprefix', prefix: 'bq/', handler_type: 'http', http_handler_config: handler('/watcher/bq') });
  return { watches };
}
