// `hax run`: the daemon.
import { startHax } from '../daemon/hax-daemon.ts';
import { createLogger } from '../log.ts';
import { parseConsulUrl, parseFlags, parseHostPort, parseListen } from './args.ts';
import { readToken } from './token.ts';

export const RUN_HELP = `Usage: hax run [--consul URL] [--listen ADDR]... [--http HOST:PORT]

Runs hax: accepts HA links from the Motr processes of this node, answers them
from Consul, records their events in Consul, and serves Consul's watch
handlers over HTTP.

  --consul URL        Consul agent HTTP address (default: $CONSUL_HTTP_ADDR or http://127.0.0.1:8500)
  --listen ADDR       HA-link listener, tcp:HOST:PORT or unix:/path; repeatable (default tcp:127.0.0.1:22001)
  --http HOST:PORT    HTTP listener for Consul's watches and operators (default 127.0.0.1:8008)
  --token-file FILE   require 'Authorization: Bearer <token>' on every POST (or set $HAX_HTTP_TOKEN)
  -h, --help          this text
`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('run', argv, {
    consul: { type: 'string' }, listen: { type: 'string', multiple: true }, http: { type: 'string' }, 'token-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(RUN_HELP); return 0; }
  const config = {
    consulUrl: parseConsulUrl(values.consul ?? process.env.CONSUL_HTTP_ADDR ?? 'http://127.0.0.1:8500'),
    listen: (values.listen ?? ['tcp:127.0.0.1:22001']).map(parseListen),
    http: { ...parseHostPort('--http', values.http ?? '127.0.0.1:8008'), token: readToken(values['token-file']) },
  };
  const log = createLogger({ component: 'hax' });
  log.log('info', 'starting', { config: { ...config, http: { ...config.http, token: config.http.token ? '(set)' : '(none)' } } });
  const hax = await startHax(config, log);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => { log.log('info', 'signal received; shutting down', { signal }); resolve(); };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await hax.stop();
  return 0;
}
