// Errors from the core, its codec and the native shim reach the host as
// HaxErrors with a documented code (docs/errors.md), not as bare Errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoreHost } from '../../src/core/core-host.ts';
import { Codec, CodecError } from '../../src/core/codec.ts';
import { CoreAbort } from '../../src/core/wasm.ts';
import { Shim } from '../../src/native/binding.ts';
import { HaxError, NativeError } from '../../src/errors.ts';

test('a refused decode is a CodecError, a HaxError with an HAX_ERR_XCODE_ code and the byte offset', async () => {
  const codec = await Codec.load();
  let caught: unknown;
  try { codec.decodeMsg(new Uint8Array([1, 2, 3])); } catch (e) { caught = e; }
  assert.ok(caught instanceof CodecError, String(caught));
  assert.ok(caught instanceof HaxError);
  assert.is(caught.code, 'HAX_ERR_XCODE_TRUNCATED');
  assert.is(typeof caught.offset, 'number');
});

test('a core abort comes with its decision as a CoreAbort coded HAX_ERR_CORE_ABORT; a good decision has none', async () => {
  const h = await CoreHost.load({ debug: true });
  assert.is(h.statusQueried().error, undefined);
  const d = h.handleRecord(new Uint8Array([0x99, 0, 0, 0, 0, 0]));   // unknown event tag: host misuse
  assert.is(d.reason.code, 'CORE_TRAPPED');
  assert.ok(d.error instanceof CoreAbort, String(d.error));
  assert.ok(d.error instanceof HaxError);
  assert.is(d.error.code, 'HAX_ERR_CORE_ABORT');
  assert.match(d.error.message, 'unknown event tag');
});

test('the shim refusing its options throws a NativeError with the shim\'s code', () => {
  let caught: unknown;
  try { Shim.start({ listen: ['udp:1.2.3.4:5'] }, () => {}); } catch (e) { caught = e; }
  assert.ok(caught instanceof NativeError, String(caught));
  assert.is(caught.code, 'HAX_ERR_BAD_OPTIONS');
});

test('an addon error without a code becomes HAX_ERR_NATIVE, the original kept as its cause', () => {
  const original = new Error('boom');
  const e = NativeError.from(original, 'HAX_ERR_NATIVE');
  assert.is(e.code, 'HAX_ERR_NATIVE');
  assert.is(e.cause, original);
  assert.is(NativeError.from(Object.assign(new Error('x'), { code: 'HAX_ERR_LISTEN' }), 'HAX_ERR_NATIVE').code, 'HAX_ERR_LISTEN');
});

test.run();
