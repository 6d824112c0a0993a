// bench/http's server side, in its own process (as hax is, apart from the
// Consul agent that POSTs to it): the real HTTP layer, handlers and wasm core.
// Prints its port on stdout.
import { createHttpApp, type HttpApp } from '../../src/http/server.ts';
import { createHandlers } from '../../src/http/handlers/index.ts';
import { CoreHost } from '../../src/core/core-host.ts';
import { LinkTable } from '../../src/daemon/link-table.ts';
import { createHaxApi } from '../../src/daemon/hax-api.ts';
import { haxMetrics } from '../../src/metrics.ts';

const core = await CoreHost.load();
const api = createHaxApi({ core, links: new LinkTable(), apply: () => {} });
let app!: HttpApp;
app = createHttpApp({ handlers: createHandlers({ api, metrics: haxMetrics(), openapiText: () => app.openapiText }) });
const { port } = await app.listen('127.0.0.1', 0);
console.log(JSON.stringify({ port }));
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
