// A test HA in its own process, so that a test can kill -9 it. Usage:
//   node --import tsx test/sim/_ha-child.ts LISTEN [HOLD_FROM]
// Prints one JSON line per record: {"kind":"listening","address"}, then
// entrypoint / link / received ({tag, attempts: EVENT_RPC hmr_attempts}) /
// delivered records. Messages whose EVENT_RPC hmr_attempts >= HOLD_FROM are
// received but never delivered() (so the peer keeps them unconfirmed).
import { Codec } from '../../src/core/codec.ts';
import { startTestHa } from './_ha.ts';

const [listen = 'tcp:127.0.0.1:0', holdText] = process.argv.slice(2);
const holdFrom = holdText === undefined ? Infinity : Number(holdText);
const attempts = (body: Record<string, unknown>): number => Number(body.hmr_attempts ?? -1);
const print = (o: object): void => { process.stdout.write(JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) + '\n'); };

const ha = await startTestHa({
  codec: await Codec.load(),
  listen: [listen],
  deliver: (msg) => msg.type !== 'EVENT_RPC' || attempts(msg.body) < holdFrom,
  onRecord: (r) => {
    if (r.kind === 'received') print({ kind: r.kind, tag: r.tag, type: r.msg.type, attempts: attempts(r.msg.body) });
    else if (r.kind !== 'sent') print(r);
  },
});
print({ kind: 'listening', address: ha.address, pid: process.pid });
process.on('SIGTERM', () => { ha.stop().then(() => process.exit(0)); });
