// /v1/txn: several KV operations applied atomically (≤ 64 per transaction).
// 200 → every op applied, with the results' ModifyIndex; 409 → rolled back
// (a failed CAS or check), with the errors listed.
import type { ConsulTransport } from './transport.ts';
import { ConsulError } from '../errors.ts';

export const TXN_MAX_OPS = 64;

export type TxnKvOp =
  | { verb: 'set'; key: string; value: string }
  | { verb: 'cas'; key: string; value: string; index: number }
  | { verb: 'delete'; key: string }
  | { verb: 'delete-cas'; key: string; index: number }
  | { verb: 'get'; key: string };

export interface TxnResult {
  ok: boolean;
  /** ModifyIndex of the results (all ops of one txn share it), when ok. */
  index?: number;
  results: { Key: string; ModifyIndex: number; Value: string | null }[];
  errors: { OpIndex: number; What: string }[];
}

function toBody(op: TxnKvOp): unknown {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  switch (op.verb) {
    case 'set': return { KV: { Verb: 'set', Key: op.key, Value: b64(op.value) } };
    case 'cas': return { KV: { Verb: 'cas', Key: op.key, Value: b64(op.value), Index: op.index } };
    case 'delete': return { KV: { Verb: 'delete', Key: op.key } };
    case 'delete-cas': return { KV: { Verb: 'delete-cas', Key: op.key, Index: op.index } };
    case 'get': return { KV: { Verb: 'get', Key: op.key } };
  }
}

export class TxnEndpoint {
  readonly #t: ConsulTransport;
  constructor(transport: ConsulTransport) { this.#t = transport; }

  async apply(ops: TxnKvOp[]): Promise<TxnResult> {
    if (ops.length === 0) return { ok: true, results: [], errors: [] };
    if (ops.length > TXN_MAX_OPS) throw new ConsulError('HAX_ERR_TXN_TOO_BIG', `a Consul transaction takes at most ${TXN_MAX_OPS} operations, got ${ops.length}`);
    const res = await this.#t.request<{ Results: { KV: TxnResult['results'][number] }[] | null; Errors: TxnResult['errors'] | null }>('/v1/txn', {
      method: 'PUT', body: JSON.stringify(ops.map(toBody)), accept: [409],
    });
    const results = (res.body?.Results ?? []).map((r) => r.KV);
    const errors = res.body?.Errors ?? [];
    if (res.status === 409) return { ok: false, results, errors };
    const index = results.reduce((m, r) => Math.max(m, r.ModifyIndex ?? 0), 0) || undefined;
    return { ok: true, index, results, errors };
  }
}
