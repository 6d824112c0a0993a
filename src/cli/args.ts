// Command-line values: parsed strictly, refused with a message that says
// what was wrong and what is expected.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../errors.ts';

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError('HAX_ERR_USAGE', `hax ${command}: ${(error as Error).message.replace(/\. To specify a positional.*$/s, '')}; see 'hax ${command} --help'`);
  }
}

/** "HOST:PORT" (IPv6 in brackets) → {host, port}; port 0 picks a free one. */
export function parseHostPort(flag: string, text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError('HAX_ERR_BAD_VALUE', `${flag} "${text}" is not HOST:PORT (e.g. 127.0.0.1:8008)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** An HA-link listener: tcp:HOST:PORT or unix:/absolute/path. */
export function parseListen(text: string): string {
  if (text.startsWith('tcp:')) { parseHostPort('--listen', text.slice(4)); return text; }
  if (text.startsWith('unix:') && text.length > 5 && text[5] === '/') return text;
  throw new ConfigError('HAX_ERR_BAD_VALUE', `--listen "${text}" is neither tcp:HOST:PORT nor unix:/absolute/path`);
}

/** The Consul agent's HTTP address: http(s)://HOST:PORT, or HOST:PORT as CONSUL_HTTP_ADDR allows. */
export function parseConsulUrl(text: string): string {
  const withScheme = /^[a-z]+:\/\//.test(text) ? text : `http://${text}`;
  let url: URL;
  try { url = new URL(withScheme); } catch {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--consul "${text}" is not a URL like http://127.0.0.1:8500`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--consul "${text}" must be http(s)://HOST:PORT with no path`);
  }
  return url.origin;
}

export function parsePositiveInt(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new ConfigError('HAX_ERR_BAD_VALUE', `${flag} "${text}" must be a whole number from 1 to ${max}`);
  return Number(text);
}
