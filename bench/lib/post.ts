// The client side of a Consul watch handler call, as the agent makes it: one
// POST on a fresh connection (Consul's handler transport disables keep-alive),
// through node:http so that the client's own cost stays small next to hax's.
import { request } from 'node:http';

export interface PostReply { status: number; text: string }

export function postFresh(port: number, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<PostReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, Connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
