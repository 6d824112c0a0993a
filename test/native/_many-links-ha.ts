// The shim side of the many-links test, in its own process so that its RSS
// is the shim's: answers every entrypoint, delivers every message, and after
// "go" on stdin prints one JSON sample every 5 s (and one more, kind
// "final", on "final"):
//   {"kind":"sample","t":seconds since go,"rss":bytes,"links","connections","received"}
import { Shim } from '../../src/native/binding.ts';
import { CONFD, RM_FID, RM_EP } from './_harness.ts';
import { CoreLinks } from '../helpers/core-links.ts';

const links = await CoreLinks.load([CONFD], { fid: RM_FID, endpoint: RM_EP });

let received = 0;
const print = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n'); };
const shim = Shim.start({ listen: ['tcp:127.0.0.1:0'] }, (batch) => {
  for (const e of batch) {
    links.see(e);
    if (e.type === 'listening') print({ kind: 'listening', address: e.address });
    else if (e.type === 'entrypoint') links.answer(shim, e);
    else if (e.type === 'received') { received++; shim.delivered(e.linkId, e.tag); }
    else if (e.type === 'protocol-error' || e.type === 'io-error') print({ kind: e.type, event: e });
  }
});
let t0 = 0;
const sample = (t: number, kind = 'sample'): void => {
  const s = shim.stats();
  print({ kind, t, rss: process.memoryUsage().rss, links: s.links, connections: s.connections, received });
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => {
  if (d.includes('final')) { sample(Math.round((Date.now() - t0) / 1000), 'final'); return; }
  if (!d.includes('go')) return;
  t0 = Date.now();
  sample(0);
  setInterval(() => sample(Math.round((Date.now() - t0) / 1000)), 5000);
});
process.stdin.on('end', () => { shim.stop().then(() => process.exit(0)); });
