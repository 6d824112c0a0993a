// /v1/kv: the original hax's layout lives here (processes/<fid>, leader, ...).
import type { ConsulTransport } from './transport.ts';

export interface KvEntry { Key: string; Value: string | null; ModifyIndex: number; CreateIndex: number; Session?: string; Flags: number; LockIndex: number }

const keyPath = (key: string) => '/v1/kv/' + key.split('/').map(encodeURIComponent).join('/');

export class KvEndpoint {
  readonly #t: ConsulTransport;
  constructor(transport: ConsulTransport) { this.#t = transport; }

  /** PUT a value; true when Consul stored it (false only for a failed CAS). */
  async put(key: string, value: string, options: { cas?: number } = {}): Promise<boolean> {
    const res = await this.#t.request<boolean>(keyPath(key), { method: 'PUT', body: value, query: { cas: options.cas } });
    return res.body === true;
  }

  /** PUT with ?acquire: takes the key's lock for a session (leader election). */
  async acquire(key: string, value: string, session: string): Promise<boolean> {
    const res = await this.#t.request<boolean>(keyPath(key), { method: 'PUT', body: value, query: { acquire: session } });
    return res.body === true;
  }

  /** DELETE a key (recurse: every key under the prefix). */
  async delete(key: string, options: { recurse?: boolean } = {}): Promise<void> {
    await this.#t.request(keyPath(key), { method: 'DELETE', query: { recurse: options.recurse } });
  }

  /** One key, decoded to text; undefined when the key is missing. */
  async get(key: string): Promise<{ value: string; entry: KvEntry; index?: number } | undefined> {
    const res = await this.#t.request<KvEntry[]>(keyPath(key), { accept: [404] });
    const entry = res.status === 404 ? undefined : res.body?.[0];
    if (!entry) return undefined;
    return { value: decodeValue(entry.Value), entry, index: res.index };
  }

  /**
   * The key names under a prefix up to `separator` (`?keys`): no values, so a
   * cheap blocking query that wakes on any change under the prefix.
   */
  async keys(prefix: string, options: { separator?: string; index?: number; wait?: string; signal?: AbortSignal } = {}): Promise<{ keys: string[]; index?: number }> {
    const res = await this.#t.request<string[]>(keyPath(prefix), {
      accept: [404], query: { keys: true, separator: options.separator, index: options.index, wait: options.wait },
      timeoutMs: options.wait ? waitMs(options.wait) + 15_000 : undefined, signal: options.signal,
    });
    return { keys: res.status === 404 ? [] : res.body ?? [], index: res.index };
  }

  /** Every key under a prefix (recurse), sorted by key, values decoded. */
  async list(prefix: string, options: { index?: number; wait?: string; signal?: AbortSignal } = {}): Promise<{ entries: { key: string; value: string; entry: KvEntry }[]; index?: number }> {
    const res = await this.#t.request<KvEntry[]>(keyPath(prefix), {
      accept: [404], query: { recurse: true, index: options.index, wait: options.wait },
      timeoutMs: options.wait ? waitMs(options.wait) + 15_000 : undefined, signal: options.signal,
    });
    const entries = (res.status === 404 ? [] : res.body ?? []).map((e) => ({ key: e.Key, value: decodeValue(e.Value), entry: e }));
    return { entries, index: res.index };
  }
}

export function decodeValue(v: string | null): string {
  return v === null ? '' : Buffer.from(v, 'base64').toString('utf8');
}

/** Go duration like "30s" or "1500ms" → milliseconds (only the forms hax sends). */
export function waitMs(wait: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(wait);
  if (!m) throw new RangeError(`unsupported wait "${wait}"`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}
