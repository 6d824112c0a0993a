// The motr backend is optional: this build reports whether it has it, and
// asking for it without libmotr fails with a coded error, not a crash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Shim, loadAddon } from '../../src/native/binding.ts';

const codeOf = (f: () => unknown): string => {
  try { f(); return 'none'; } catch (e) { return (e as { code?: string }).code ?? 'no-code'; }
};
const MOTR = {
  endpoint: 'inet:tcp:127.0.0.1@22001', processFid: { container: 0x7200000000000001n, key: 1n },
  haServiceFid: { container: 0x7300000000000001n, key: 1n }, rmServiceFid: { container: 0x7300000000000001n, key: 2n },
};

test('a build without libmotr says so and refuses backend motr with HAX_ERR_NO_MOTR', () => {
  if (loadAddon().motrAvailable) return; // a libmotr build: nothing to refuse
  assert.is(codeOf(() => Shim.start({ backend: 'motr', motr: MOTR }, () => {})), 'HAX_ERR_NO_MOTR');
});

test('an unknown backend name is refused with HAX_ERR_BAD_OPTIONS', () => {
  assert.is(codeOf(() => Shim.start({ backend: 'rdma' as 'motr', listen: ['tcp:127.0.0.1:0'] }, () => {})), 'HAX_ERR_BAD_OPTIONS');
});

test('the socket backend stays the default', async () => {
  let address = '';
  const shim = Shim.start({ listen: ['tcp:127.0.0.1:0'] }, (b) => { for (const e of b) if (e.type === 'listening') address = e.address; });
  await shim.stop();
  assert.match(address, /^tcp:127\.0\.0\.1:\d+$/);
});

test.run();
