// The shim's and the peer's encoders against libmotr's own bytes
// (fixtures/motr-xcode, produced by m0_xcode_obj_enc_to_buf).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { loadAddon } from '../../src/native/binding.ts';
import {
  decodeEntrypointRep, decodeLinkMsg, decodeLinkMsgRep, encodeEntrypointReq, encodeLinkMsg, encodeLinkMsgRep,
  haMsgWireSize, type HaCookie, type LinkParams, type Tags, type U128,
} from '../../src/sim/link-client.ts';
import { FIXTURES, fixture, fixtureBytes } from './_harness.ts';

const big = (v: number | string): bigint => BigInt(v);
const fid = (s: string) => { const [c, k] = s.split(':'); return { container: BigInt(c!), key: BigInt(k!) }; };
const u128 = (o: any): U128 => ({ hi: big(o.u_hi), lo: big(o.u_lo) });
const tags = (o: any): Tags => ({ confirmed: Number(o.hlt_confirmed), delivered: Number(o.hlt_delivered), next: Number(o.hlt_next), assign: Number(o.hlt_assign) });
const params = (o: any): LinkParams => ({
  idLocal: u128(o.hlp_id_local), idRemote: u128(o.hlp_id_remote), idConnection: u128(o.hlp_id_connection),
  tagsLocal: tags(o.hlp_tags_local), tagsRemote: tags(o.hlp_tags_remote),
});
const cookie = (o: any): HaCookie => ({ pid: big(o.hcx_pid), timeStart: big(o.hcx_time_start), uptime: big(o.hcx_uptime), uuid: u128(o.hcx_uuid) });
const bigTags = (t: Tags) => ({ confirmed: BigInt(t.confirmed), delivered: BigInt(t.delivered), next: BigInt(t.next), assign: BigInt(t.assign) });
const bigParams = (p: LinkParams) => ({ ...p, tagsLocal: bigTags(p.tagsLocal), tagsRemote: bigTags(p.tagsRemote) });

function repFields(name: string) {
  const f = fixture(name).fields;
  return {
    quorum: f.hbp_quorum,
    confds: f.hbp_confd_fids.af_elems.map((s: string, i: number) => ({ fid: fid(s), endpoint: f.hbp_confd_eps.ab_elems[i].text })),
    rmFid: fid(f.hbp_active_rm_fid),
    rmEndpoint: f.hbp_active_rm_ep.text,
    control: f.hbp_control.value,
    linkParams: bigParams(params(f.hbp_link_params)),
    doReconnect: f.hbp_link_do_reconnect,
    disconnectedPreviously: f.hbp_disconnected_previously,
    cookie: cookie(f.hbp_cookie_actual),
  };
}

test('the shim encodes the spec 6.2(c) entrypoint reply byte for byte', () => {
  const bytes = loadAddon().encodeEntrypointRep(repFields('spec62c_entrypoint_rep_1confd'));
  assert.is(Buffer.from(bytes).toString('hex'), fixture('spec62c_entrypoint_rep_1confd').hex);
});

test('the shim encodes a two-confd QUERY reply with both flags byte for byte', () => {
  const bytes = loadAddon().encodeEntrypointRep(repFields('ep_rep_2confd_rm'));
  assert.is(Buffer.from(bytes).toString('hex'), fixture('ep_rep_2confd_rm').hex);
});

test('the peer decodes the golden entrypoint replies', () => {
  const rep = decodeEntrypointRep(fixtureBytes('ep_rep_2confd_rm'));
  assert.is(rep.confds.length, 2);
  assert.is(rep.confds[1]!.endpoint, 'inet:tcp:192.168.10.2@22012');
  assert.is(rep.control, 2);
  assert.ok(rep.doReconnect);
  assert.ok(rep.disconnectedPreviously);
  assert.is(rep.linkParams.tagsLocal.assign, 24);
});

for (const name of ['ep_req_first', 'ep_req_not_first']) {
  // The shim does not decode entrypoint requests (the core does: test/core/decisions-links.test.ts).
  test(`the peer encodes ${name} byte for byte`, () => {
    const f = fixture(name).fields;
    const enc = encodeEntrypointReq({
      first: f.erf_first_request === 1, generation: big(f.erf_generation), processFid: fid(f.erf_process_fid),
      linkParams: params(f.erf_link_params), gitRev: f.erf_git_rev_id.text, pid: big(f.erf_pid),
      cookieExpected: cookie(f.erf_cookie_expected),
    });
    assert.is(enc.toString('hex'), fixture(name).hex);
  });
}

test('the peer encodes and decodes link msg fops and replies byte for byte', () => {
  for (const name of ['link_msg_fop_0msg', 'link_msg_fop_1msg_event_process']) {
    const bytes = fixtureBytes(name);
    const d = decodeLinkMsg(bytes);
    assert.is(encodeLinkMsg(d).toString('hex'), fixture(name).hex, name);
    assert.is(d.seq, big(fixture(name).fields.lmf_seq));
  }
  for (const name of ['link_msg_rep_ok', 'link_msg_rep_enolink']) {
    const d = decodeLinkMsgRep(fixtureBytes(name));
    assert.is(d.rc, fixture(name).fields.lmr_rc);
    // Tags are JS numbers (exact below 2^53); the enolink vector uses larger ones.
    if (name === 'link_msg_rep_ok') assert.is(encodeLinkMsgRep(d).toString('hex'), fixture(name).hex, name);
  }
});

test('m0_ha_msg wire sizes agree with every golden message, in the shim and the peer', () => {
  const names = fs.readdirSync(FIXTURES).filter((n) => /^(msg_|spec62[ab])/.test(n)).map((n) => n.replace(/\.json$/, ''));
  assert.ok(names.length >= 14);
  for (const name of names) {
    const b = fixtureBytes(name);
    const type = b.readBigUInt64LE(64);
    assert.is(loadAddon().haMsgWireSize(type), b.length, name);
    assert.is(haMsgWireSize(type), b.length, name);
  }
  assert.is(loadAddon().haMsgWireSize(12), null);
});

test.run();
