// The Motr side of bench/shim, in its own process so that it does not share
// the HA's JS thread. Commands on stdin, one JSON object a line; answers on
// stdout, one JSON object a line:
//   {"cmd":"connect","address","links"}  -> {"ok":"connected"} (entrypoints done)
//   {"cmd":"flood","perLink"}            -> writes perLink LINK_MSGs on every link at
//                                           once (in-order tags, no waiting: the HA
//                                           side accepts in-order tags), {"ok":"flooded"}
//   {"cmd":"close"}                      -> closes everything, exits
// Every LINK_MSG from the HA is answered at once with a LINK_MSG_REP that
// confirms it (stop-and-wait on the HA side needs that to go on).
import net from 'node:net';
import {
  FrameReader, OP_ENTRYPOINT_REP, OP_ENTRYPOINT_REQ, OP_LINK_MSG, encodeEntrypointReq, decodeEntrypointRep,
  encodeFrame, encodeLinkMsg, encodeLinkMsgRep, NO_COOKIE, ZERO_PARAMS, OP_LINK_MSG_REP, type LinkParams,
} from '../../src/sim/link-client.ts';
import fs from 'node:fs';

const EVENT = Buffer.from(JSON.parse(fs.readFileSync('/work/shared/fixtures/motr-xcode/msg_07_event_process.json', 'utf8')).hex, 'hex');
const print = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n'); };

interface Peer { sock: net.Socket; params: LinkParams; outAssign: number; xid: bigint; seq: bigint; inDelivered: number }
const peers: Peer[] = [];

function open(address: string, i: number): Promise<Peer> {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setNoDelay(true);
    const reader = new FrameReader();
    let peer: Peer | undefined;
    sock.on('error', () => {});
    sock.on('connect', () => {
      sock.write(encodeFrame(OP_ENTRYPOINT_REQ, 1n, encodeEntrypointReq({
        first: true, generation: 1n, processFid: { container: 0x7200000000000001n, key: BigInt(0x100 + i) }, linkParams: ZERO_PARAMS,
        gitRev: 'bench', pid: BigInt(process.pid), cookieExpected: NO_COOKIE,
      })));
    });
    sock.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.opcode === OP_ENTRYPOINT_REP) {
          peer = { sock, params: decodeEntrypointRep(f.body).linkParams, outAssign: 2, xid: 2n, seq: 0n, inDelivered: 1 };
          resolve(peer);
        } else if (f.opcode === OP_LINK_MSG && peer) {
          // Only msg_nr and hm_tag matter here: read them in place.
          if (f.body.readBigUInt64LE(0) === 1n) {
            const hedType = Number(f.body.readBigUInt64LE(8 + 64));
            const size = hedType === 2 ? 20592 : hedType === 7 ? 104 : 0;
            const tag = Number(f.body.readBigUInt64LE(8 + size - 8));
            if (tag + 2 > peer.inDelivered) peer.inDelivered = tag + 2;
          }
          sock.write(encodeFrame(OP_LINK_MSG_REP, f.xid, encodeLinkMsgRep({ rc: 0, outNext: peer.outAssign, inDelivered: peer.inDelivered })));
        }
      }
    });
  });
}

function flood(p: Peer, n: number): void {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const tag = p.outAssign;
    p.outAssign += 2;
    const msg = Buffer.from(EVENT);
    msg.writeBigUInt64LE(BigInt(tag), msg.length - 8);
    frames.push(encodeFrame(OP_LINK_MSG, p.xid++, encodeLinkMsg({
      msgNr: 1, msg, idLocal: p.params.idLocal, idRemote: p.params.idRemote, idConnection: p.params.idConnection,
      outNext: p.outAssign, inDelivered: p.inDelivered, seq: ++p.seq,
    })));
  }
  p.sock.write(Buffer.concat(frames));
}

let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', async (d: string) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const cmd = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (cmd.cmd === 'connect') {
      peers.length = 0;
      for (let k = 0; k < cmd.links; k += 50) {
        const batch = [];
        for (let j = k; j < Math.min(cmd.links, k + 50); j++) batch.push(open(cmd.address, j));
        peers.push(...await Promise.all(batch));
      }
      print({ ok: 'connected' });
    } else if (cmd.cmd === 'flood') {
      for (const p of peers) flood(p, cmd.perLink);
      print({ ok: 'flooded' });
    } else if (cmd.cmd === 'close') {
      for (const p of peers) p.sock.destroy();
      peers.length = 0;
      print({ ok: 'closed' });
    }
  }
});
process.stdin.on('end', () => process.exit(0));
