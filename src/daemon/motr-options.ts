// What the motr backend needs to start hax's own Motr instance
// (m0_halon_interface_start, motr-ha-wire.md §1.2): its RPC endpoint, its
// process fid, its HA service fid and an RM service fid. Flags win; what is
// not given comes from Consul's description of hax's own process:
//   m0conf/nodes/<node>/processes/<fidk>/endpoint       hax's endpoint
//   m0conf/nodes/<node>/processes/<fidk>/services/ha    HA service fidk
//   m0conf/nodes/<node>/processes/<fidk>/services/rms   RM service fidk
// The RM is hax's own RMS, as the HA of the recorded m0d traces named it; the
// principal RM handed to Motr processes in entrypoint replies is decided by
// the core from the leader (hax-reference.md §3.2) and is independent of it.
import type { ConsulClient } from '../consul/client.ts';
import { ConfigError } from '../errors.ts';
import { fidFromKey, formatFid, parseFid, SERVICE_CONTAINER, type Fid } from '../fid.ts';
import type { MotrOptions } from '../native/binding.ts';
import type { Identity } from './identity.ts';

export interface MotrFlags {
  /** hax's RPC endpoint, e.g. inet:tcp:127.0.0.1@22001 (libfabric). */
  endpoint?: string;
  haServiceFid?: string;
  rmServiceFid?: string;
}

export async function resolveMotrOptions(consul: ConsulClient, identity: Identity, flags: MotrFlags): Promise<MotrOptions> {
  if (!identity.found) {
    throw new ConfigError('HAX_ERR_MOTR_CONFIG', `backend motr needs hax's own process fid: give --process-fid or register the catalog service 'hax' on node ${identity.node}`);
  }
  const base = `m0conf/nodes/${identity.node}/processes/${identity.processFid.key}`;
  const endpoint = flags.endpoint ?? (await consul.kv.get(`${base}/endpoint`))?.value.trim();
  if (!endpoint) throw new ConfigError('HAX_ERR_MOTR_CONFIG', `backend motr needs hax's RPC endpoint: give --motr-endpoint or write ${base}/endpoint`);
  if (!/^(libfab:)?inet:tcp:[^@\s]+@\d+$/.test(endpoint)) {
    throw new ConfigError('HAX_ERR_MOTR_CONFIG', `hax's RPC endpoint "${endpoint}" is not of the form inet:tcp:HOST@PORT`);
  }
  const service = async (flag: string | undefined, name: 'ha' | 'rms', flagName: string): Promise<Fid> => {
    if (flag !== undefined) {
      const f = parseFid(flag);
      if (!f || f.container >> 56n !== 0x73n) throw new ConfigError('HAX_ERR_BAD_VALUE', `${flagName} "${flag}" is not a service fid (0x73...:0x..)`);
      return f;
    }
    const fidk = (await consul.kv.get(`${base}/services/${name}`))?.value.trim();
    const f = fidk ? fidFromKey(SERVICE_CONTAINER, fidk) : undefined;
    if (f) return f;
    if (name === 'ha') return identity.haServiceFid;   // the original's rule: ServiceID + 1
    throw new ConfigError('HAX_ERR_MOTR_CONFIG', `backend motr needs an RM service fid: give ${flagName} or write ${base}/services/rms`);
  };
  return {
    endpoint: endpoint.replace(/^libfab:/, ''),
    processFid: identity.processFid,
    haServiceFid: await service(flags.haServiceFid, 'ha', '--motr-ha-fid'),
    rmServiceFid: await service(flags.rmServiceFid, 'rms', '--motr-rm-fid'),
  };
}

/** For the start-up log line. */
export function describeMotrOptions(o: MotrOptions): Record<string, string> {
  return { endpoint: o.endpoint, process: formatFid(o.processFid), haService: formatFid(o.haServiceFid), rmService: formatFid(o.rmServiceFid) };
}
