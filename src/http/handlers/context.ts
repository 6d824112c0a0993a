// What the HTTP handlers may use of the running daemon.
import type { HaxApi } from '../../daemon/api.ts';
import type { HaxMetrics } from '../../metrics.ts';

export interface HandlerContext {
  api: HaxApi;
  metrics: HaxMetrics;
  openapiText(): string;
}

/** X-Consul-Index as a number, when Consul sent one. */
export function consulIndex(headers: Record<string, string | string[] | undefined>): number | undefined {
  const v = headers['x-consul-index'];
  return typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}
