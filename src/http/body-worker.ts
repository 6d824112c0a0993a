// The body worker thread: decodes, checks and validates the large request
// bodies (body-json.ts) off the event loop, and hands back the projected
// value as compact JSON text — what the handler needs of a 1,000-node
// payload is a quarter of its bytes, and JSON.parse of that text on the
// event loop costs less than structured-cloning the object would. An array
// comes back in parts of about PART_BYTES, so that the event loop parses it
// a few milliseconds at a time.
import { parentPort } from 'node:worker_threads';
import { loadOpenApi } from './openapi.ts';
import { decodeJsonBody, type BodyRoute, type JsonBounds } from './body-json.ts';

export interface BodyJob { id: number; operationId: string; bytes: Uint8Array; bounds: JsonBounds }
export type BodyJobResult =
  | { id: number; ok: true; text?: string; parts?: string[] }
  | { id: number; ok: false; status: number; code: string; message: string; reason: string };

const routes = new Map<string, BodyRoute>();
for (const op of loadOpenApi().operations) {
  if (op.validateBody) routes.set(op.operationId, { validateBody: op.validateBody, projectBody: op.projectBody, bodyRequired: op.bodyRequired, maxTopItems: op.maxTopItems });
}

parentPort!.on('message', (job: BodyJob) => {
  let out: BodyJobResult;
  const route = routes.get(job.operationId);
  if (!route) {
    out = { id: job.id, ok: false, status: 500, code: 'HAX_ERR_INTERNAL', message: `the body worker has no schema for ${job.operationId}`, reason: 'Unexpected error has happened' };
  } else {
    const v = decodeJsonBody(job.bytes, route, job.bounds);
    if (!v.ok) out = { id: job.id, ...v };
    else if (Array.isArray(v.value)) out = { id: job.id, ok: true, parts: arrayParts(v.value) };
    else out = { id: job.id, ok: true, text: v.value === undefined ? undefined : JSON.stringify(v.value) };
  }
  parentPort!.postMessage(out);
});
parentPort!.postMessage({ ready: true });

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
