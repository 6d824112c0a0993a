// The peer side of the many-links test: N LinkClients (one simulated process
// each) that complete their entrypoint, then each sends one event every 5 s
// (staggered) for HOLD seconds. Usage: _many-links-peers.ts ADDRESS N HOLD
// Prints {"kind":"connected","n"} then {"kind":"done","sent","delivered","closed"}
// and keeps the links up until stdin ends.
import { LinkClient } from '../../src/sim/link-client.ts';
import { eventMsg } from './_harness.ts';

const [address, nText, holdText] = process.argv.slice(2);
const n = Number(nText), holdMs = Number(holdText) * 1000;
const print = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n'); };
const clients: LinkClient[] = [];
let sent = 0, delivered = 0, closed = 0;

for (let start = 0; start < n; start += 100) {
  const batch: Promise<unknown>[] = [];
  for (let i = start; i < Math.min(n, start + 100); i++) {
    const c = new LinkClient({ address: address!, processFid: { container: 0x7200000000000001n, key: BigInt(0x1000 + i) }, reconnect: false });
    c.on('delivered', () => { delivered++; });
    c.on('connection-closed', () => { closed++; });
    clients.push(c);
    batch.push(c.connect());
  }
  await Promise.all(batch);
}
print({ kind: 'connected', n: clients.length });

const timers: NodeJS.Timeout[] = [];
clients.forEach((c, i) => {
  timers.push(setTimeout(() => {
    const tick = (): void => { c.send(eventMsg(i)); sent++; };
    tick();
    timers.push(setInterval(tick, 5000));
  }, (i * 5000) / n));
});
setTimeout(async () => {
  for (const t of timers) clearInterval(t);
  // Let the last sends be confirmed (stop-and-wait: one round trip each).
  while (delivered < sent && closed === 0) await new Promise((r) => setTimeout(r, 50));
  print({ kind: 'done', sent, delivered, closed });
  // Stay connected until the test has taken its last sample and ends us.
  process.stdin.on('end', () => { for (const c of clients) c.close(); process.exit(0); });
  process.stdin.resume();
}, holdMs);
