// A process that leaves while its shim runs. Usage:
//   node --import tsx test/native/_exit-child.ts MODE
// Prints "listening ADDRESS". MODE:
//   exit-running   process.exit(0) from the callback that got the first message
//   exit-blocked   queueLimit 1 and process.exit(0) from the first entrypoint
//                  callback while the peer floods (the I/O thread is blocked)
//   unref-idle     unref() and let Node leave on its own, shim never stopped
//   throw          the event handler throws on the first message
import { Shim } from '../../src/native/binding.ts';
import { CONFD, RM_FID, RM_EP } from './_harness.ts';
import { CoreLinks } from '../helpers/core-links.ts';

const links = await CoreLinks.load([CONFD], { fid: RM_FID, endpoint: RM_EP });

const mode = process.argv[2];
const shim = Shim.start({ listen: ['tcp:127.0.0.1:0'], queueLimit: mode === 'exit-blocked' ? 1 : undefined }, (batch) => {
  for (const e of batch) {
    links.see(e);
    if (e.type === 'listening') {
      process.stdout.write(`listening ${e.address}\n`);
      if (mode === 'unref-idle') shim.unref();
          }
    if (e.type === 'entrypoint') {
      if (mode === 'exit-blocked') process.exit(0);
      links.answer(shim, e);
    }
    if (e.type === 'received') {
      if (mode === 'exit-running') process.exit(0);
      if (mode === 'throw') throw new Error('handler failed on purpose');
    }
  }
});
