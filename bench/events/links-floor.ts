// bench/events' second floor: what the links themselves take, with no Consul
// and no core, carrying one NVEC SET per broadcasting event as hax did before
// it merged the broadcasts of a link that is behind. The native shim (socket
// backend, in this process as in hax) sends the NVEC SET each broadcasting
// event of bench/events fans out (STARTED and DTM_RECOVERED; STARTING and
// STOPPING are only recorded) — 20,592 bytes whatever its note count — to the
// same 16 simulated processes (the same Peer class, in this process too), and
// an event counts once all 16 links confirmed delivery. The raw shim has no
// outbox, so at most LINKS_FLOOR_WINDOW broadcasts are on their way (beyond
// 407 queued on a link, 8 MiB, the shim drops it). hax, merging, may beat
// this floor: fewer messages cross each link.
import { readFileSync } from 'node:fs';
import { Shim, type ShimEvent } from '../../src/native/binding.ts';
import type { Codec } from '../../src/core/codec.ts';
import { Peer, pfid } from '../../test/behaviour/_world.ts';
import type { FloorResult } from './consul-floor.ts';
import { CoreLinks } from '../../test/helpers/core-links.ts';

const NVEC = Buffer.from((JSON.parse(readFileSync('/work/shared/fixtures/motr-xcode/msg_02_nvec_set_2notes.json', 'utf8')) as { hex: string }).hex, 'hex');
const CONFD = { fid: { container: 0x7300000000000001n, key: 3n }, endpoint: 'inet:tcp:127.0.0.1@22012' };
const RM = { container: 0x7300000000000001n, key: 2n };
/** Broadcasts the floor lets be on their way at once: well under the 407 the shim holds on a link. */
export const LINKS_FLOOR_WINDOW = 64;

/** `broadcasts(i)`: whether event i of bench/events makes hax broadcast (STARTING and STOPPING are only recorded). */
export async function linksFloor(codec: Codec, links: number, events: number, broadcasts: (i: number) => boolean): Promise<FloorResult & { nvecBytes: number; broadcasts: number }> {
  const linkIds: number[] = [];
  let delivered = 0;
  let wake: (() => void) | undefined;
  let address = '';
  let listening!: () => void;
  const ready = new Promise<void>((r) => { listening = r; });
  // the core decides each link, as in the daemon (test/helpers/core-links.ts)
  const decider = await CoreLinks.load([CONFD], { fid: RM, endpoint: 'inet:tcp:127.0.0.1@22011' });
  const shim = Shim.start({ listen: ['tcp:127.0.0.1:0'] }, (batch: ShimEvent[]) => {
    for (const e of batch) {
      decider.see(e);
      if (e.type === 'listening') { address = e.address; listening(); }
      else if (e.type === 'entrypoint') decider.answer(shim, e);
      else if (e.type === 'link-connected') linkIds.push(e.linkId);
      else if (e.type === 'delivered') delivered++;
    }
    wake?.();
  });
  const peers: Peer[] = [];
  try {
    await ready;
    for (let k = 0; k < links; k++) {
      const p = new Peer(address, codec, pfid(10 + k), 'M0_CONF_HA_PROCESS_M0D');
      await p.connect();
      (p.link as unknown as { sock: import('node:net').Socket }).sock.setNoDelay(true);
      peers.push(p);
    }
    const waitFor = async (ok: () => boolean) => { while (!ok()) await new Promise<void>((r) => { wake = r; }); };
    await waitFor(() => linkIds.length === links);
    const t0 = performance.now();
    let sent = 0;
    for (let i = 0; i < events; i++) {
      if (!broadcasts(i)) continue;
      await waitFor(() => (sent - Math.floor(delivered / links)) < LINKS_FLOOR_WINDOW);
      for (const id of linkIds) shim.send(id, NVEC);
      sent++;
    }
    await waitFor(() => delivered >= sent * links);
    const seconds = (performance.now() - t0) / 1000;
    return { name: `links: one NVEC to ${links} links per broadcasting event, no Consul`, events, seconds, perSecond: events / seconds, nvecBytes: NVEC.length, broadcasts: sent };
  } finally {
    for (const p of peers) p.close();
    await shim.stop();
  }
}
