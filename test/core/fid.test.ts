import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Codec, CodecError, parseFid, formatFid } from '../../src/core/codec.ts';

const CASES: [string, bigint, bigint][] = [
  ['0x7200000000000001:0x4', 0x7200000000000001n, 4n],
  ['<7200000000000001:4>', 0x7200000000000001n, 4n],
  ['< 7200000000000001 : 4 >', 0x7200000000000001n, 4n],
  ['7200000000000001:4', 0x7200000000000001n, 4n],
  ['r|1:4', 0x7200000000000001n, 4n],
  ['k|0x1:42', 0x6b00000000000001n, 42n],
  ['o|1:010', 0x6f00000000000001n, 8n],
  ['0xffffffffffffffff:0xffffffffffffffff', 0xffffffffffffffffn, 0xffffffffffffffffn],
];
const BAD = ['', '0x1', '0x1:', ':0x2', '0x1:0x2:0x3', '0x10000000000000000:1', 'r|0x7200000000000001:4', '<1:2', 'zz:1'];

test('parses the three Motr fid text forms the same in wasm and in TS', async () => {
  const c = await Codec.load();
  for (const [text, container, key] of CASES) {
    assert.equal(parseFid(text), { container, key }, `TS ${text}`);
    assert.equal(c.parseFidText(text), { container, key }, `wasm ${text}`);
  }
});

test('rejects malformed fid text with FID_TEXT in wasm and in TS', async () => {
  const c = await Codec.load();
  for (const text of BAD) {
    assert.throws(() => parseFid(text), (e: unknown) => e instanceof CodecError && e.code === 'HAX_ERR_XCODE_FID_TEXT', `TS ${text}`);
    assert.throws(() => c.parseFidText(text), (e: unknown) => e instanceof CodecError && e.code === 'HAX_ERR_XCODE_FID_TEXT', `wasm ${text}`);
  }
});

test('prints fids as 0x%x:0x%x like Hare', () => {
  assert.is(formatFid({ container: 0x7200000000000001n, key: 4n }), '0x7200000000000001:0x4');
  assert.is(formatFid({ container: 0n, key: 0n }), '0x0:0x0');
});

test.run();
