// bench/http's floor: the least any HTTP handler of these payloads must do —
// receive the body on a fresh connection, decode it, JSON.parse it, answer a
// small JSON — on bare node:http, in its own process like hax. The gap
// between this and JSON.parse is the I/O every server pays; the gap between
// hax and this is hax's own work (routing, validation, the core, its reply).
// Prints its port on stdout.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('latin1'));   // the bench's bodies are ASCII
    const out = '{"reason":"parsed","notes":[],"links":0}';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': out.length });
    res.end(out);
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
