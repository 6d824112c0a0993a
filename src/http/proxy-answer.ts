// What a client of hax's Consul proxy gets back: either the proxy's own coded
// JSON answer (a refusal, a busy bound, an agent that failed), or the agent's
// answer with only a fixed set of its headers. Nothing else of the agent's
// answer travels back (no Set-Cookie, no Location, no CORS header of Consul's),
// so the agent cannot make the browser do more than read a JSON body.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Refusal } from './proxy-target.ts';

/** Consul's answer headers the client gets. */
export const PASSED_BACK = ['content-type', 'content-length', 'content-security-policy', 'x-content-type-options', 'x-consul-index',
  'x-consul-knownleader', 'x-consul-lastcontact', 'x-consul-effective-consistency', 'x-cache', 'age'];

/** The error envelope every hax error uses. */
export function sendCoded(res: ServerResponse, status: number, code: string, message: string, reason: string, extra: Record<string, string> = {}): void {
  const payload = JSON.stringify({ status_code: status, error_message: message, error_type: code, reason });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...extra });
  res.end(payload);
}

/** A refusal before anything reached the agent. A body the client sent is discarded, never read into hax nor forwarded. */
export function refuse(req: IncomingMessage, res: ServerResponse, r: Refusal, extra: Record<string, string> = {}): void {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  req.resume();
  sendCoded(res, r.status, r.code, r.message, r.reason, hasBody ? { ...extra, Connection: 'close' } : extra);
}

/**
 * Passes the agent's `answer` on to `res`: its status, the headers of
 * PASSED_BACK (nosniff and a sandbox CSP when the agent gave none), and its
 * body unless the client asked with HEAD (the agent was asked with GET, so
 * the client still learns the length). An answer cut short cuts the client's
 * short too, so a truncated body never looks complete.
 */
export function passBack(answer: IncomingMessage, method: string, res: ServerResponse, onError: (message: string) => void): void {
  answer.on('error', () => res.destroy());
  answer.on('close', () => { if (!answer.complete) res.destroy(); });
  if (res.destroyed) { answer.resume(); return; }
  const headers: OutgoingHttpHeaders = {};
  for (const h of PASSED_BACK) { const v = answer.headers[h]; if (typeof v === 'string') headers[h] = v; }
  headers['x-content-type-options'] ??= 'nosniff';
  headers['content-security-policy'] ??= 'sandbox';
  try { res.writeHead(answer.statusCode ?? 502, headers); } catch (error) {
    onError(`the agent's answer could not be passed on: ${(error as Error).message}`);
    answer.resume();
    res.destroy();
    return;
  }
  if (method === 'HEAD') { res.end(); answer.resume(); return; }
  answer.pipe(res);
}
