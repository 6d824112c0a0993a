// A shim in a process with a tiny open-file limit (the test starts it under
// `ulimit -n`). Plain JavaScript, to keep Node's own descriptors few.
// Prints JSON lines: {"kind":"listening","address"}, then on "report" from
// stdin {"kind":"report", ioErrors, emfile, acceptPauses, connections,
// firstErrorMs, sinceFirstErrorMs, cpuMs}. Answers every entrypoint.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = require(new URL('../../build/native/Release/shim.node', import.meta.url).pathname);
const CONFD = { fid: { container: 0x7300000000000001n, key: 3n }, endpoint: 'inet:tcp:127.0.0.1@22012' };
const RM = { container: 0x7300000000000001n, key: 2n };
// The link plan the core gives a first entrypoint request (a new link), with
// the request's words read at their fixed offsets. This peer only ever sends
// first requests, so the plan is scripted here; the daemon asks the core.
const newLinkPlan = (fop) => {
  const v = new DataView(fop.buffer, fop.byteOffset, fop.byteLength);
  return { control: 'consume', mode: 'new', linkId: 0, generation: v.getBigUint64(4, true),
    processFid: { container: v.getBigUint64(12, true), key: v.getBigUint64(20, true) }, params: Array(14).fill(0n), note: '' };
};
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');

let ioErrors = 0, emfile = 0, firstError;
const shim = new addon.Shim({ listen: ['tcp:127.0.0.1:0'] }, (batch) => {
  for (const e of batch) {
    if (e.type === 'listening') print({ kind: 'listening', address: e.address });
    if (e.type === 'entrypoint') shim.entrypointReply(e.reqId, 0, [CONFD], 1, RM, 'inet:tcp:127.0.0.1@22011', newLinkPlan(e.fop));
    if (e.type === 'io-error') {
      ioErrors++;
      if (e.errno === 24) emfile++;
      firstError ??= Date.now();
      if (ioErrors === 1) print({ kind: 'first-error', code: e.code, errno: e.errno, message: e.message });
    }
  }
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (d.includes('report')) {
    const s = shim.stats();
    const cpu = process.cpuUsage();
    print({ kind: 'report', ioErrors, emfile, acceptPauses: s.acceptPauses, connections: s.connections,
      sinceFirstErrorMs: firstError === undefined ? 0 : Date.now() - firstError, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
process.stdin.on('end', () => { shim.stop().then(() => process.exit(0)); });
