// The reply to an NVEC GET is built from the GET's own bytes and refused when
// it would crash m0d (motr-ha-wire.md §2.7): count or fids differing, a state
// Motr asserts on in a SET, or a "GET" that is not one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Codec, CodecError } from '../../src/core/codec.ts';
import { vector, patchU64, patchU32 } from './helpers.ts';

const GET = (): Uint8Array => vector('msg_02_nvec_get_3notes').bytes;

function refusal(fn: () => unknown): CodecError {
  try { fn(); } catch (e) { assert.instance(e, CodecError); return e as CodecError; }
  return assert.unreachable('expected a CodecError') as never;
}

test('answers a GET with a SET carrying its id, count and fids in order', async () => {
  const c = await Codec.load();
  const get = c.decodeMsg(GET());
  const reply = c.decodeMsg(c.encodeNvecReply(GET(), ['M0_NC_ONLINE', 'M0_NC_FAILED', 3]));
  assert.is(reply.type, 'NVEC');
  assert.is(reply.body.hmnv_type, 'M0_HA_NVEC_SET');
  assert.is(reply.body.hmnv_id_of_get, get.body.hmnv_id_of_get);
  assert.is(reply.body.hmnv_ignore_same_state, 1);
  assert.is(reply.tag, 0n);
  const notes = reply.body.hmnv_arr as { no_id: string; no_state: string }[];
  assert.equal(notes.map((n) => n.no_id), (get.body.hmnv_arr as { no_id: string }[]).map((n) => n.no_id));
  assert.equal(notes.map((n) => n.no_state), ['M0_NC_ONLINE', 'M0_NC_FAILED', 'M0_NC_TRANSIENT']);
});

test('accepts entries naming the fids they answer when they match the GET', async () => {
  const c = await Codec.load();
  const get = c.decodeMsg(GET());
  const entries = (get.body.hmnv_arr as { no_id: string }[]).map((n) => ({ no_id: n.no_id, no_state: 'M0_NC_ONLINE' }));
  assert.is(c.encodeNvecReply(GET(), entries).length, 20592);
});

test('refuses a reply with another number of notes than the GET', async () => {
  const c = await Codec.load();
  const e = refusal(() => c.encodeNvecReply(GET(), ['M0_NC_ONLINE']));
  assert.is(e.code, 'HAX_ERR_XCODE_REFUSE_GET_MISMATCH');
  assert.is(e.offset, 96);
});

test('refuses a reply whose fids differ from the GET at the first differing note', async () => {
  const c = await Codec.load();
  const get = c.decodeMsg(GET());
  const entries = (get.body.hmnv_arr as { no_id: string }[]).map((n) => ({ no_id: n.no_id, no_state: 'M0_NC_ONLINE' }));
  entries[1]!.no_id = '0x7200000000000001:0x999';
  const e = refusal(() => c.encodeNvecReply(GET(), entries));
  assert.is(e.code, 'HAX_ERR_XCODE_REFUSE_GET_MISMATCH');
  assert.is(e.offset, 124);
});

test('refuses UNKNOWN in the reply as in any SET', async () => {
  const c = await Codec.load();
  const e = refusal(() => c.encodeNvecReply(GET(), ['M0_NC_ONLINE', 'M0_NC_UNKNOWN', 'M0_NC_ONLINE']));
  assert.is(e.code, 'HAX_ERR_XCODE_REFUSE_UNKNOWN_STATE');
  assert.is(e.offset, 124);
});

test('refuses to answer a SET, an event, or bytes that do not decode', async () => {
  const c = await Codec.load();
  assert.is(refusal(() => c.encodeNvecReply(patchU64(GET(), 72, 0n), [1, 1, 1])).code, 'HAX_ERR_XCODE_NOT_NVEC_GET');
  assert.is(refusal(() => c.encodeNvecReply(vector('msg_07_event_process').bytes, [])).code, 'HAX_ERR_XCODE_NOT_NVEC_GET');
  const cut = refusal(() => c.encodeNvecReply(GET().subarray(0, 100), [1, 1, 1]));
  assert.is(cut.code, 'HAX_ERR_XCODE_TRUNCATED');
  assert.is(refusal(() => c.encodeNvecReply(patchU32(GET(), 104 + 16, 9), [1, 1, 1])).code, 'HAX_ERR_XCODE_STATE_RANGE');
});

test('decodes a message flat with the JSON view\'s values and error offsets', async () => {
  const c = await Codec.load();
  const f = c.decodeFlat(1, vector('msg_07_event_process').bytes);
  const [fid, type, event, count] = [f.fidText(0), f.lo(8), f.lo(9), f.count];   // read before the next call reuses the region
  const json = c.decodeMsg(vector('msg_07_event_process').bytes);
  assert.is(fid, json.fid);
  assert.is(type, 7);
  assert.is(event, 1);
  assert.is(count, 13);
  const e = c.tryDecodeFlat(1, patchU64(vector('msg_07_event_process').bytes, 64, 99n));
  assert.instance(e, CodecError);
  assert.is((e as CodecError).code, 'HAX_ERR_XCODE_MSG_TYPE');
  assert.is((e as CodecError).offset, 64);
});

test.run();
