// A cluster description: nodes, their Motr processes and each process's
// services, with the fid keys hare's cfgen would allocate. hax writes it into
// Consul in the original hax's layout (bootstrap/seed.ts).

export type ProcessKind = 'hax' | 'confd' | 'ios';

export interface ClusterProcess {
  kind: ProcessKind;
  /** Key of the process fid 0x7200000000000001:<fidk>; also its Consul ServiceID. */
  fidk: number;
  /** Motr endpoint address without the port, e.g. inet:tcp:127.0.0.1 */
  address: string;
  port: number;
  /** Service type → key of the service fid 0x7300000000000001:<fidk>. */
  services: Record<string, number>;
}

export interface ClusterNode {
  /** Host name; also the Consul node name in the demo and tests. */
  name: string;
  processes: ClusterProcess[];
}

export interface Cluster { nodes: ClusterNode[] }

export const processEndpoint = (p: ClusterProcess) => `${p.address}@${p.port}`;
