// The WASM codec against libmotr's own encoder (golden vectors), plus strict
// decoding and the encode refusals of motr-ha-wire.md §2.7.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Codec, CodecError, type HaMsg } from '../../src/core/codec.ts';
import { loadVectors, vector, patchU64, patchU32 } from './helpers.ts';

let codecP: Promise<Codec> | null = null;
const codec = (): Promise<Codec> => (codecP ??= Codec.load());

const OPS: Record<string, [keyof Codec, keyof Codec]> = {
  m0_ha_msg_xc: ['decodeMsg', 'encodeMsg'],
  m0_ha_entrypoint_req_fop_xc: ['decodeEntrypointReq', 'encodeEntrypointReq'],
  m0_ha_entrypoint_rep_fop_xc: ['decodeEntrypointRep', 'encodeEntrypointRep'],
  m0_ha_link_msg_fop_xc: ['decodeLinkMsg', 'encodeLinkMsg'],
  m0_ha_link_msg_rep_fop_xc: ['decodeLinkMsgRep', 'encodeLinkMsgRep'],
};

function decodeWith(c: Codec, xcType: string, b: Uint8Array): unknown {
  return (c[OPS[xcType]![0]] as (b: Uint8Array) => unknown).call(c, b);
}
function encodeWith(c: Codec, xcType: string, o: unknown): Uint8Array {
  return (c[OPS[xcType]![1]] as (o: unknown) => Uint8Array).call(c, o);
}

// ---- the fixtures' "fields" in the codec's object shape ------------------------------

const FID = /^0x[0-9a-f]+:0x[0-9a-f]+$/;
function norm(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === 'string') return FID.test(v) ? v : v.startsWith('0x') ? BigInt(v) : v;
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('name' in o && 'value' in o) return o.name;
  if ('b_nob' in o && 'text' in o) return o.text;
  if ('af_elems' in o) return norm(o.af_elems);
  if ('ab_elems' in o) return norm(o.ab_elems);
  if ('hmna_arr' in o) return norm(o.hmna_arr);
  if ('hm_data' in o) return normMsg(o);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, norm(x)]));
}
function normMsg(o: Record<string, unknown>): unknown {
  const data = o.hm_data as { hed_type: { name: string }; u: Record<string, unknown> };
  const branch = Object.values(data.u)[0] ?? {};
  return {
    fid: o.hm_fid, sourceProcess: o.hm_source_process, sourceService: o.hm_source_service,
    time: norm(o.hm_time), epoch: norm(o.hm_epoch), type: data.hed_type.name.replace(/^M0_HA_MSG_/, ''),
    body: norm(branch), tag: norm(o.hm_tag),
  };
}
function same(ours: unknown, theirs: unknown, path = ''): void {
  if (typeof ours === 'bigint') { assert.is(ours, BigInt(theirs as never), path); return; }
  if (Array.isArray(theirs)) {
    assert.ok(Array.isArray(ours), `${path} is an array`);
    assert.is((ours as unknown[]).length, theirs.length, `${path}.length`);
    theirs.forEach((x, i) => same((ours as unknown[])[i], x, `${path}[${i}]`));
    return;
  }
  if (theirs !== null && typeof theirs === 'object') {
    const o = ours as Record<string, unknown>;
    for (const [k, x] of Object.entries(theirs)) {
      if (k === 'hmnv_nr' || k === 'mfp_nr') { assert.is(Number(o[k]), Number(x), `${path}.${k}`); continue; }
      same(o[k], x, `${path}.${k}`);
    }
    return;
  }
  assert.is(ours, theirs, path);
}

for (const v of loadVectors()) {
  test(`decodes and re-encodes golden vector ${v.name} byte for byte`, async () => {
    const c = await codec();
    const o = decodeWith(c, v.xc_type, v.bytes);
    const again = encodeWith(c, v.xc_type, o);
    assert.is(again.length, v.length);
    assert.is(Buffer.from(again).toString('hex'), v.hex);
  });
  test(`decodes golden vector ${v.name} to the C field values`, async () => {
    const c = await codec();
    same(decodeWith(c, v.xc_type, v.bytes), norm(v.fields) as unknown, v.name);
  });
}

// ---- strict decoding: error code + offset, never a trap ------------------------------

function decodeError(fn: () => unknown): CodecError {
  try { fn(); } catch (e) {
    assert.instance(e, CodecError);
    return e as CodecError;
  }
  assert.unreachable('expected a CodecError');
  throw new Error('unreachable');
}

test('rejects every golden vector truncated by one byte with TRUNCATED at the cut field', async () => {
  const c = await codec();
  for (const v of loadVectors()) {
    const e = decodeError(() => decodeWith(c, v.xc_type, v.bytes.subarray(0, v.length - 1)));
    assert.is(e.code, 'HAX_ERR_XCODE_TRUNCATED', v.name);
    assert.ok(e.offset <= v.length - 1 && e.offset >= v.length - 8, `${v.name} offset ${e.offset}`);
  }
});

test('rejects a trailing byte with TRAILING_BYTES at the end of the structure', async () => {
  const c = await codec();
  const v = vector('msg_07_event_process');
  const e = decodeError(() => c.decodeMsg(new Uint8Array([...v.bytes, 0])));
  assert.is(e.code, 'HAX_ERR_XCODE_TRAILING_BYTES');
  assert.is(e.offset, 104);
});

test('rejects an unknown hed_type with MSG_TYPE at offset 64', async () => {
  const c = await codec();
  const e = decodeError(() => c.decodeMsg(patchU64(vector('msg_07_event_process').bytes, 64, 99n)));
  assert.is(e.code, 'HAX_ERR_XCODE_MSG_TYPE');
  assert.is(e.offset, 64);
});

test('rejects an unknown hed_type inside a link fop at offset 72', async () => {
  const c = await codec();
  const e = decodeError(() => c.decodeLinkMsg(patchU64(vector('link_msg_fop_1msg_event_process').bytes, 72, 99n)));
  assert.is(e.code, 'HAX_ERR_XCODE_MSG_TYPE');
  assert.is(e.offset, 72);
});

test('rejects hmnv_nr 0 and 1025 with COUNT_RANGE at offset 96', async () => {
  const c = await codec();
  for (const nr of [0n, 1025n]) {
    const e = decodeError(() => c.decodeMsg(patchU64(vector('msg_02_nvec_set_2notes').bytes, 96, nr)));
    assert.is(e.code, 'HAX_ERR_XCODE_COUNT_RANGE');
    assert.is(e.offset, 96);
  }
});

test('rejects a note state of 8 with STATE_RANGE at the note state', async () => {
  const c = await codec();
  const e = decodeError(() => c.decodeMsg(patchU32(vector('msg_02_nvec_set_2notes').bytes, 104 + 20 + 16, 8)));
  assert.is(e.code, 'HAX_ERR_XCODE_STATE_RANGE');
  assert.is(e.offset, 140);
});

test('rejects ignore_same_state 2 with FLAG_RANGE', async () => {
  const c = await codec();
  const e = decodeError(() => c.decodeMsg(patchU64(vector('msg_02_nvec_set_2notes').bytes, 88, 2n)));
  assert.is(e.code, 'HAX_ERR_XCODE_FLAG_RANGE');
  assert.is(e.offset, 88);
});

test('rejects an unnamed process event with ENUM_RANGE at chp_event', async () => {
  const c = await codec();
  const e = decodeError(() => c.decodeMsg(patchU64(vector('msg_07_event_process').bytes, 72, 9n)));
  assert.is(e.code, 'HAX_ERR_XCODE_ENUM_RANGE');
  assert.is(e.offset, 72);
});

test('rejects an entrypoint reply whose eps count differs from its fids count', async () => {
  const c = await codec();
  const v = vector('ep_rep_2confd_rm');
  const e = decodeError(() => c.decodeEntrypointRep(patchU32(v.bytes, 4 + 4 + 32, 1)));
  assert.is(e.code, 'HAX_ERR_XCODE_COUNT_MISMATCH');
  assert.is(e.offset, 40);
});

test('rejects af_count 1000 and a git rev length past the end as TRUNCATED', async () => {
  const c = await codec();
  const e1 = decodeError(() => c.decodeEntrypointRep(patchU32(vector('ep_rep_2confd_rm').bytes, 4, 1000)));
  assert.is(e1.code, 'HAX_ERR_XCODE_TRUNCATED');
  assert.is(e1.offset, 4);
  const req = vector('ep_req_first').bytes;
  const e2 = decodeError(() => c.decodeEntrypointReq(patchU64(req, 4 + 8 + 16 + 112, 1040n)));
  assert.is(e2.code, 'HAX_ERR_XCODE_TRUNCATED');
  assert.is(e2.offset, 148);
});

test('rejects lmf_msg_nr 2 with FLAG_RANGE at offset 0', async () => {
  const c = await codec();
  const e = decodeError(() => c.decodeLinkMsg(patchU64(vector('link_msg_fop_0msg').bytes, 0, 2n)));
  assert.is(e.code, 'HAX_ERR_XCODE_FLAG_RANGE');
  assert.is(e.offset, 0);
});

test('survives every single-byte truncation of every vector without trapping', async () => {
  const c = await codec();
  for (const v of loadVectors()) {
    for (let n = 0; n < v.length; n += v.length > 1000 ? 97 : 1) {
      const e = decodeError(() => decodeWith(c, v.xc_type, v.bytes.subarray(0, n)));
      assert.ok(e.code.startsWith('HAX_ERR_XCODE_'), `${v.name}[0..${n}]`);
    }
  }
});

// ---- encode refusals (§2.7) ---------------------------------------------------------

function setMsg(notes: { no_id: string; no_state: string }[]): HaMsg {
  return {
    fid: '0:0', sourceProcess: '0:0', sourceService: '0:0', time: 0n, epoch: 0n, tag: 0n, type: 'NVEC',
    body: { hmnv_type: 'M0_HA_NVEC_SET', hmnv_id_of_get: 0n, hmnv_ignore_same_state: 1, hmnv_arr: notes },
  };
}

test('encodes the spec example (a) NVEC SET from its object form', async () => {
  const c = await codec();
  const m = setMsg([
    { no_id: '0x7200000000000001:0x4', no_state: 'M0_NC_ONLINE' },
    { no_id: '0x6b00000000000001:0x2a', no_state: 'M0_NC_FAILED' },
  ]);
  m.tag = 1n;
  assert.is(Buffer.from(c.encodeMsg(m)).toString('hex'), vector('spec62a_nvec_set_2notes').hex);
});

test('refuses to encode M0_NC_UNKNOWN in an NVEC SET', async () => {
  const c = await codec();
  const e = decodeError(() => c.encodeMsg(setMsg([{ no_id: '0x7200000000000001:0x4', no_state: 'M0_NC_UNKNOWN' }])));
  assert.is(e.code, 'HAX_ERR_XCODE_REFUSE_UNKNOWN_STATE');
  assert.is(e.offset, 104);
});

test('allows M0_NC_UNKNOWN in an NVEC GET', async () => {
  const c = await codec();
  const m = setMsg([{ no_id: '0x7200000000000001:0x4', no_state: 'M0_NC_UNKNOWN' }]);
  m.body.hmnv_type = 'M0_HA_NVEC_GET';
  assert.is(c.encodeMsg(m).length, 20592);
});

test('refuses REPAIR on a process fid but allows it on pool, sdev, node and drive fids', async () => {
  const c = await codec();
  const e = decodeError(() => c.encodeMsg(setMsg([{ no_id: 'r|1:4', no_state: 'M0_NC_REPAIR' }])));
  assert.is(e.code, 'HAX_ERR_XCODE_REFUSE_REPAIR_FID');
  for (const t of ['o', 'd', 'n', 'k']) {
    assert.is(c.encodeMsg(setMsg([{ no_id: `${t}|1:4`, no_state: 'M0_NC_REBALANCE' }])).length, 20592, t);
  }
});

test('refuses an NVEC SET with 0 or 1025 notes', async () => {
  const c = await codec();
  assert.is(decodeError(() => c.encodeMsg(setMsg([]))).code, 'HAX_ERR_XCODE_COUNT_RANGE');
  const many = Array.from({ length: 1025 }, (_, i) => ({ no_id: `0x7200000000000001:0x${i.toString(16)}`, no_state: 'M0_NC_ONLINE' }));
  assert.is(decodeError(() => c.encodeMsg(setMsg(many))).code, 'HAX_ERR_XCODE_COUNT_RANGE');
});

test('refuses an entrypoint reply whose eps and fids differ in number', async () => {
  const c = await codec();
  const o = c.decodeEntrypointRep(vector('ep_rep_2confd_rm').bytes);
  o.hbp_confd_eps.pop();
  assert.is(decodeError(() => c.encodeEntrypointRep(o)).code, 'HAX_ERR_XCODE_COUNT_MISMATCH');
});

test('reports a missing field with FIELD_MISSING and its name', async () => {
  const c = await codec();
  const o = c.decodeMsg(vector('msg_07_event_process').bytes);
  delete o.body.chp_type;
  const e = decodeError(() => c.encodeMsg(o));
  assert.is(e.code, 'HAX_ERR_XCODE_FIELD_MISSING');
  assert.is(e.offset, 80);
  assert.match(e.detail, 'chp_type');
});

test('accepts enum numbers and decimal strings on encode', async () => {
  const c = await codec();
  const o = c.decodeMsg(vector('msg_07_event_process').bytes);
  o.body.chp_event = 1;
  o.body.chp_pid = '12345';
  assert.is(Buffer.from(c.encodeMsg(o)).toString('hex'), vector('msg_07_event_process').hex);
});
test.run();
