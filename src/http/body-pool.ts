// The event loop's side of the body worker (body-worker.ts): one thread,
// started on the first large body and kept, jobs answered in order. Its heap
// is bounded; a body that exhausts it is refused (413) and the worker is
// restarted for the jobs queued behind it, which are sent again.
import { Worker } from 'node:worker_threads';
import type { BodyJob, BodyJobResult } from './body-worker.ts';
import type { BodyVerdict, JsonBounds } from './body-json.ts';
import { HTTP_LIMITS } from './limits.ts';

/** The worker's answer: a refusal, or the projected value as JSON text (undefined: no body). */
export type WorkerVerdict = Extract<BodyVerdict, { ok: false }> | { ok: true; text?: string };

interface Pending { job: Omit<BodyJob, 'id'>; resolve: (v: WorkerVerdict) => void }

// The worker runs TypeScript like the rest of hax: under `node --import tsx`
// it inherits the loader; under bin/hax.js (tsx registered in code) it
// registers tsx itself.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.entry).catch(async (error) => {
  if (!error || error.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  const { register } = await import(workerData.tsx);
  register();
  await import(workerData.entry + '?tsx');   // a new URL: the failed import stays cached
});`;

export class BodyWorkerPool {
  #worker?: Worker;
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  #closed = false;
  readonly #onLog: (msg: string, fields: Record<string, unknown>) => void;

  constructor(onLog: (msg: string, fields: Record<string, unknown>) => void = () => {}) {
    this.#onLog = onLog;
  }

  /** Decodes one body in the worker: a refusal, or the projected value as JSON text (undefined: no body). */
  decode(operationId: string, bytes: Uint8Array, bounds: JsonBounds): Promise<WorkerVerdict> {
    if (this.#closed) return Promise.resolve({ ok: false, status: 503, code: 'HAX_ERR_BUSY', message: 'hax is shutting down', reason: 'Service unavailable' });
    return new Promise((resolve) => {
      const id = ++this.#seq;
      const p: Pending = { job: { operationId, bytes, bounds }, resolve: (v) => { if (this.#pending.size === 0) this.#worker?.unref(); resolve(v); } };
      this.#pending.set(id, p);
      this.#post(id, p);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    for (const p of this.#pending.values()) p.resolve({ ok: false, status: 503, code: 'HAX_ERR_BUSY', message: 'hax is shutting down', reason: 'Service unavailable' });
    this.#pending.clear();
    await w?.terminate();
  }

  #post(id: number, p: Pending): void {
    const job: BodyJob = { id, ...p.job };
    const w = this.#ensure();
    w.ref();                                   // idle, the worker does not keep hax alive
    w.postMessage(job);
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { entry: new URL('./body-worker.ts', import.meta.url).href, tsx: import.meta.resolve('tsx/esm/api') },
      resourceLimits: { maxOldGenerationSizeMb: HTTP_LIMITS.workerHeapMb },
      stdout: false, stderr: false,
    });
    w.unref();
    w.on('message', (m: BodyJobResult | { ready: true }) => {
      if ('ready' in m) return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      p.resolve(m.ok ? { ok: true, text: m.text } : { ok: false, status: m.status, code: m.code, message: m.message, reason: m.reason });
    });
    let failure: Error | undefined;
    w.on('error', (e) => { failure = e; });
    w.on('exit', (code) => {
      if (this.#worker !== w) return;
      this.#worker = undefined;
      if (this.#closed || this.#pending.size === 0) return;
      // the first pending job is the one the worker was on: refuse it, send the others again
      const [[firstId, first], ...rest] = [...this.#pending.entries()];
      this.#pending.delete(firstId);
      const oom = (failure as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.#onLog('body worker stopped; restarting it for the bodies queued behind', { exitCode: code, error: failure?.message, outOfMemory: oom, requeued: rest.length });
      first.resolve(oom
        ? { ok: false, status: 413, code: 'HAX_ERR_BODY_TOO_COMPLEX', message: `decoding the body needed more than the body worker's ${HTTP_LIMITS.workerHeapMb} MB`, reason: 'Payload too large' }
        : { ok: false, status: 500, code: 'HAX_ERR_INTERNAL', message: `the body worker stopped: ${failure?.message ?? `exit ${code}`}`, reason: 'Unexpected error has happened' });
      for (const [id, p] of rest) this.#post(id, p);
    });
    this.#worker = w;
    return w;
  }
}
