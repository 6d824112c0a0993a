// The Consul client hax uses: one transport, one object per agent endpoint.
import { AgentEndpoint } from './agent.ts';
import { CatalogEndpoint } from './catalog.ts';
import { KvEndpoint } from './kv.ts';
import { SessionEndpoint } from './session.ts';
import { TxnEndpoint } from './txn.ts';
import { HealthEndpoint } from './health.ts';
import { ConsulTransport, type RequestObserver } from './transport.ts';

export class ConsulClient {
  readonly url: string;
  readonly kv: KvEndpoint;
  readonly catalog: CatalogEndpoint;
  readonly agent: AgentEndpoint;
  readonly session: SessionEndpoint;
  readonly txn: TxnEndpoint;
  readonly health: HealthEndpoint;
  constructor(url: string, options: { observe?: RequestObserver } = {}) {
    const transport = new ConsulTransport(url, options.observe);
    this.url = transport.baseUrl;
    this.kv = new KvEndpoint(transport);
    this.catalog = new CatalogEndpoint(transport);
    this.agent = new AgentEndpoint(transport);
    this.session = new SessionEndpoint(transport);
    this.txn = new TxnEndpoint(transport);
    this.health = new HealthEndpoint(transport);
  }
}
