// The event loop's side of the body worker (body-worker.ts): one thread,
// started on the first large body and stopped after IDLE_MS without one,
// jobs answered in order. A job's
// bytes are moved to the worker, not copied. The worker's heap is bounded; a
// body that exhausts it is refused (413) and the worker restarts on the next
// job (the HTTP layer sends one job at a time; any queued behind a crash are
// answered 503).
import { Worker } from 'node:worker_threads';
import type { BodyJob, BodyJobResult } from './body-worker.ts';
import type { BodyVerdict, JsonBounds } from './body-json.ts';
import { HTTP_LIMITS } from './limits.ts';

/** The worker's answer: a refusal, or the projected value as JSON text (undefined: no body). */
export type WorkerVerdict = Extract<BodyVerdict, { ok: false }> | { ok: true; text?: string; parts?: string[] };

interface Pending { job: Omit<BodyJob, 'id'>; resolve: (v: WorkerVerdict) => void }

// The worker runs TypeScript like the rest of hax: under `node --import tsx`
// it inherits the loader; under bin/hax.js (tsx registered in code) it
// registers tsx itself. Compiled (the Debian package) this module is .js,
// so is the worker's, and there is no tsx to find: it is never asked for.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.entry).catch(async (error) => {
  if (!error || error.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  const { register } = await import(workerData.tsx);
  register();
  await import(workerData.entry + '?tsx');   // a new URL: the failed import stays cached
});`;

/** Whether this is the compiled JavaScript (tsconfig.build.json) rather than the TypeScript sources. */
const COMPILED = import.meta.url.endsWith('.js');

/** An idle worker is stopped after this long, giving its heap back (the next large body starts a new one). */
const IDLE_MS = 30_000;

export class BodyWorkerPool {
  #worker?: Worker;
  #idle?: NodeJS.Timeout;
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  #closed = false;
  readonly #onLog: (msg: string, fields: Record<string, unknown>) => void;

  constructor(onLog: (msg: string, fields: Record<string, unknown>) => void = () => {}) {
    this.#onLog = onLog;
  }

  /** Decodes one body in the worker: a refusal, or the projected value as JSON text (undefined: no body), an array in parts. */
  decode(operationId: string, bytes: Uint8Array, bounds: JsonBounds): Promise<WorkerVerdict> {
    if (this.#closed) return Promise.resolve({ ok: false, status: 503, code: 'HAX_ERR_BUSY', message: 'hax is shutting down', reason: 'Service unavailable' });
    return new Promise((resolve) => {
      const id = ++this.#seq;
      const p: Pending = { job: { operationId, bytes, bounds }, resolve: (v) => { if (this.#pending.size === 0) this.#rest(); resolve(v); } };
      this.#pending.set(id, p);
      this.#post(id, p);
    });
  }

  /** No job left: the worker no longer keeps hax alive, and stops if none comes for IDLE_MS. */
  #rest(): void {
    const w = this.#worker;
    if (!w) return;
    w.unref();
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      if (this.#worker !== w || this.#pending.size > 0) return;
      this.#worker = undefined;
      void w.terminate();
    }, IDLE_MS);
    this.#idle.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idle);
    const w = this.#worker;
    this.#worker = undefined;
    for (const p of this.#pending.values()) p.resolve({ ok: false, status: 503, code: 'HAX_ERR_BUSY', message: 'hax is shutting down', reason: 'Service unavailable' });
    this.#pending.clear();
    await w?.terminate();
  }

  #post(id: number, p: Pending): void {
    const job: BodyJob = { id, ...p.job };
    clearTimeout(this.#idle);
    const w = this.#ensure();
    w.ref();                                   // idle, the worker does not keep hax alive
    const b = job.bytes;
    // move the body's memory when it is the whole of its buffer; else copy it
    const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
    w.postMessage(job, whole ? [b.buffer as ArrayBuffer] : []);
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: COMPILED
        ? { entry: new URL('./body-worker.js', import.meta.url).href }
        : { entry: new URL('./body-worker.ts', import.meta.url).href, tsx: import.meta.resolve('tsx/esm/api') },
      resourceLimits: { maxOldGenerationSizeMb: HTTP_LIMITS.workerHeapMb },
      stdout: false, stderr: false,
    });
    w.unref();
    w.on('message', (m: BodyJobResult | { ready: true }) => {
      if ('ready' in m) return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      p.resolve(m.ok ? { ok: true, text: m.text, parts: m.parts } : { ok: false, status: m.status, code: m.code, message: m.message, reason: m.reason });
    });
    let failure: Error | undefined;
    w.on('error', (e) => { failure = e; });
    w.on('exit', (code) => {
      if (this.#worker !== w) return;
      this.#worker = undefined;
      if (this.#closed || this.#pending.size === 0) return;
      // the first pending job is the one the worker was on: refuse it; the bytes of any others went with the worker
      const [first, ...rest] = [...this.#pending.values()];
      this.#pending.clear();
      const oom = (failure as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.#onLog('body worker stopped; it restarts with the next body', { exitCode: code, error: failure?.message, outOfMemory: oom, alsoRefused: rest.length });
      first.resolve(oom
        ? { ok: false, status: 413, code: 'HAX_ERR_BODY_TOO_COMPLEX', message: `decoding the body needed more than the body worker's ${HTTP_LIMITS.workerHeapMb} MB`, reason: 'Payload too large' }
        : { ok: false, status: 500, code: 'HAX_ERR_INTERNAL', message: `the body worker stopped: ${failure?.message ?? `exit ${code}`}`, reason: 'Unexpected error has happened' });
      for (const p of rest) p.resolve({ ok: false, status: 503, code: 'HAX_ERR_BUSY', message: 'the body worker restarted while this body waited for it; send it again', reason: 'Service unavailable' });
    });
    this.#worker = w;
    return w;
  }
}
