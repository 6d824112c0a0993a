// Runs inside a worker_threads Worker: starts a Shim, reports its address,
// counts received messages, and stops the shim when the parent says 'stop'
// (or never, when the parent terminates the worker instead).
import { parentPort } from 'node:worker_threads';
import { Shim } from '../../src/native/binding.ts';
import { CONFD, RM_FID, RM_EP } from './_harness.ts';
import { CoreLinks } from '../helpers/core-links.ts';

const links = await CoreLinks.load([CONFD], { fid: RM_FID, endpoint: RM_EP });

const port = parentPort!;
let received = 0;
const shim = Shim.start({ listen: ['tcp:127.0.0.1:0'] }, (batch) => {
  for (const e of batch) {
    links.see(e);
    if (e.type === 'listening') port.postMessage({ kind: 'listening', address: e.address });
    if (e.type === 'entrypoint') links.answer(shim, e);
    if (e.type === 'received') { received++; shim.delivered(e.linkId, e.tag); port.postMessage({ kind: 'received', tag: e.tag }); }
    if (e.type === 'disconnected') port.postMessage({ kind: 'disconnected', linkId: e.linkId });
  }
});
port.on('message', (m: string) => {
  if (m === 'stop') shim.stop().then(() => { port.postMessage({ kind: 'stopped', received }); port.close(); });
});
