// The demo's cluster: one node with hax, a confd and two ioservices, keyed
// as hare's cfgen numbers them (one counter per object type).
import type { Cluster } from '../bootstrap/cluster.ts';

export function demoCluster(nodeName: string): Cluster {
  const address = 'inet:tcp:127.0.0.1';
  return {
    nodes: [{
      name: nodeName,
      processes: [
        { kind: 'hax', fidk: 1, address, port: 22001, services: { ha: 1, rms: 2 } },
        { kind: 'confd', fidk: 2, address, port: 22002, services: { confd: 3, rms: 4 } },
        { kind: 'ios', fidk: 3, address, port: 21001, services: { ios: 5, rms: 6 } },
        { kind: 'ios', fidk: 4, address, port: 21002, services: { ios: 7, rms: 8 } },
      ],
    }],
  };
}
