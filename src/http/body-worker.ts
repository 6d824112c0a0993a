// The body worker thread: decodes, checks and validates the large request
// bodies off the event loop — an ASCII one in one pass that builds only what
// the schema declares (body-projector.ts), any other (or one that pass
// declines) the usual way (body-json.ts) — and hands back the projected
// value as compact JSON text: what the handler needs of a 1,000-node
// payload is a small share of its bytes, and JSON.parse of that text on the
// event loop costs less than structured-cloning the object would. An array
// comes back in parts of about PART_BYTES, so that the event loop parses it
// a few milliseconds at a time. On the usual path an array is decoded one
// element at a time (body-elements.ts), so the worker's heap never holds the
// whole payload's objects.
import { parentPort } from 'node:worker_threads';
import { loadOpenApi } from './openapi.ts';
import { decodeUtf8, emptyBody, parseScanned, scanJson, type BodyRoute, type BodyVerdict, type JsonBounds } from './body-json.ts';
import { decodeArrayInParts } from './body-elements.ts';
import { projectBody } from './body-projector.ts';

export interface BodyJob { id: number; operationId: string; bytes: Uint8Array; bounds: JsonBounds }
export type BodyJobResult =
  | { id: number; ok: true; text?: string; parts?: string[] }
  | { id: number; ok: false; status: number; code: string; message: string; reason: string };

const routes = new Map<string, BodyRoute>();
for (const op of loadOpenApi().operations) {
  if (op.validateBody) {
    routes.set(op.operationId, {
      validateBody: op.validateBody, projectBody: op.projectBody, bodyRequired: op.bodyRequired, maxTopItems: op.maxTopItems,
      validateItem: op.validateItem, projectItem: op.projectItem, projectionPlan: op.projectionPlan,
    });
  }
}

parentPort!.on('message', (job: BodyJob) => {
  let out: BodyJobResult;
  const route = routes.get(job.operationId);
  if (!route) {
    out = { id: job.id, ok: false, status: 500, code: 'HAX_ERR_INTERNAL', message: `the body worker has no schema for ${job.operationId}`, reason: 'Unexpected error has happened' };
  } else {
    out = decode(job, route);
  }
  parentPort!.postMessage(out);
});
parentPort!.postMessage({ ready: true });

function decode(job: BodyJob, route: BodyRoute): BodyJobResult {
  const refused = (v: Extract<BodyVerdict, { ok: false }>): BodyJobResult => ({ id: job.id, ...v });
  const text = decodeUtf8(job.bytes);
  if (typeof text !== 'string') return refused(text as Extract<BodyVerdict, { ok: false }>);
  if (text.trim() === '') {
    const v = emptyBody(route);
    return v.ok ? { id: job.id, ok: true } : refused(v);
  }
  if (route.projectionPlan && text.length === job.bytes.length) {
    // ASCII: the one-pass reader, which builds only the projected value
    const fast = projectBody(job.bytes, text, route.projectionPlan, job.bounds, route.validateBody);
    if (fast) return Array.isArray(fast.value) ? { id: job.id, ok: true, parts: arrayParts(fast.value) } : { id: job.id, ok: true, text: fast.value === undefined ? undefined : JSON.stringify(fast.value) };
  }
  const scan = scanJson(text, job.bounds);
  if (scan.refusal) return refused(scan.refusal as Extract<BodyVerdict, { ok: false }>);
  if (scan.topItems > 0) {
    const parts = decodeArrayInParts(text, scan, route, PART_BYTES);
    if (parts) return { id: job.id, ok: true, parts };
  }
  const v = parseScanned(text, scan, route, job.bounds);
  if (!v.ok) return refused(v);
  if (Array.isArray(v.value)) return { id: job.id, ok: true, parts: arrayParts(v.value) };
  return { id: job.id, ok: true, text: v.value === undefined ? undefined : JSON.stringify(v.value) };
}

/** Text of a JSON array's projected value per part (each an array), each about PART_BYTES. */
const PART_BYTES = 128 * 1024;
function arrayParts(items: unknown[]): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const item of items) {
    const text = JSON.stringify(item);
    current.push(text);
    size += text.length + 1;
    if (size >= PART_BYTES) { parts.push(`[${current.join(',')}]`); current = []; size = 0; }
  }
  if (current.length > 0 || parts.length === 0) parts.push(`[${current.join(',')}]`);
  return parts;
}
