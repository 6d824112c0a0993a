// A conf tree in hare's layout, made here rather than by the seeder so that
// the shard tests need no fixture: per node its fid-keyed node key, four
// processes with a service each, and the name-keyed endpoints; node fids
// 0x1..0x<n> in hex, so the keys split by hex digits as the real tree does
// (node 0x1 is then a key and the prefix of 0x10..0x1f: a loose key).
export const NODE_FID = (i: number) => `0x6e00000000000001:0x${i.toString(16)}`;
export const nodeKey = (i: number) => `m0conf/nodes/${NODE_FID(i)}`;
export const nodeValue = (i: number, state: string) => `{"name": "srvnode-${i}", "state": "${state}"}`;

export function confTree(nodes: number): { key: string; value: string }[] {
  const kv: { key: string; value: string }[] = [];
  let process = 0, service = 0;
  for (let i = 1; i <= nodes; i++) {
    kv.push({ key: nodeKey(i), value: nodeValue(i, 'M0_NC_ONLINE') });
    for (let p = 0; p < 4; p++) {
      const pk = ++process, sk = ++service;
      const procKey = `${nodeKey(i)}/processes/0x7200000000000001:0x${pk.toString(16)}`;
      kv.push({ key: procKey, value: '{"name": "m0_server", "state": "M0_NC_ONLINE"}' });
      kv.push({ key: `${procKey}/services/0x7300000000000001:0x${sk.toString(16)}`, value: '{"name": "ios", "state": "M0_NC_ONLINE"}' });
      kv.push({ key: `m0conf/nodes/srvnode-${i}/processes/${pk}/endpoint`, value: `inet:tcp:10.0.0.${i % 250}@${21000 + p}` });
      kv.push({ key: `m0conf/nodes/srvnode-${i}/processes/${pk}/services/ios`, value: String(sk) });
    }
  }
  return kv.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
