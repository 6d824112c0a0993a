// `hax consul-config`: the Consul agent configuration for this node's watches.
import { writeFileSync } from 'node:fs';
import { watchConfig } from '../consul/watch-config.ts';
import { ConfigError } from '../errors.ts';
import { parseFlags, parseHostPort } from './args.ts';
import { readToken } from './token.ts';

export const CONSUL_CONFIG_HELP = `Usage: hax consul-config [--http HOST:PORT] [--services LIST] [--token-file FILE] [--out FILE]

Prints the Consul agent configuration (JSON, for the agent's -config-dir)
that points this node's watches at hax: a service watch per Motr service
name → POST /, and a keyprefix watch on bq/ → POST /watcher/bq. Load it with
'consul reload'. With a token (--token-file or $HAX_HTTP_TOKEN) every watch
sends 'Authorization: Bearer <token>', as hax run then requires.

  --http HOST:PORT   hax's HTTP address as the agent reaches it (default 127.0.0.1:8008)
  --services LIST    comma-separated service names to watch (default hax,confd,ios)
  --token-file FILE  file holding the shared token
  --out FILE         write there instead of stdout (mode 0600 when it holds a token)
  -h, --help         this text
`;

export async function consulConfigCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('consul-config', argv, {
    http: { type: 'string' }, services: { type: 'string' }, 'token-file': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(CONSUL_CONFIG_HELP); return 0; }
  const http = parseHostPort('--http', values.http ?? '127.0.0.1:8008');
  const services = (values.services ?? 'hax,confd,ios').split(',').map((s) => s.trim());
  if (services.some((s) => !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(s))) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--services "${values.services}" must be comma-separated Consul service names`);
  }
  const token = readToken(values['token-file']);
  const host = http.host.includes(':') ? `[${http.host}]` : http.host;
  const text = JSON.stringify(watchConfig({ haxUrl: `http://${host}:${http.port}`, services, token }), null, 2) + '\n';
  if (values.out) writeFileSync(values.out, text, { mode: token ? 0o600 : 0o644 });
  else process.stdout.write(text);
  return 0;
}
