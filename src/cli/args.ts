// Command-line values: parsed strictly, refused with a message that says
// what was wrong and what is expected. A value is shown quoted and escaped
// (quote()), so a message is always one line however hostile the value;
// main.ts adds the "hax <command>: " prefix and the code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../errors.ts';

/** The longest part of a value a message shows (then "…"). */
export const QUOTE_MAX = 200;

// Characters JSON.stringify leaves as they are but a terminal may act on:
// DEL and the C1 controls, soft hyphen, zero-width and bidirectional
// controls, the line and paragraph separators, the BOM.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
const escapeInvisible = (text: string): string => text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A value as a message shows it: JSON-quoted, control and invisible characters escaped, at most QUOTE_MAX characters. */
export function quote(value: string, max = QUOTE_MAX): string {
  return escapeInvisible(JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value));
}

/** Free text (a message, a detail from elsewhere) made one safe line: control and invisible characters escaped, at most `max` characters. */
export function oneLine(text: string, max = 2000): string {
  // eslint-disable-next-line no-control-regex
  const escaped = escapeInvisible(text.replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1)));
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** node's parseArgs error → one clear line naming the flag, the offending argument quoted. */
function usageMessage(argv: string[], options: NonNullable<ParseArgsConfig['options']>, error: Error & { code?: string }): string {
  const message = error.message;
  let m: RegExpExecArray | null;
  // An option that takes a value, followed by an argument that begins with '-' (e.g. --for -1).
  if ((m = /^Option '(-[^' ]*)' argument is ambiguous/.exec(message))) {
    const raw = m[1]!;
    const long = raw.startsWith('--') ? raw.slice(2) : Object.entries(options).find(([, o]) => o.short === raw.slice(1))?.[0] ?? raw;
    const next = argv[argv.indexOf(raw) + 1] ?? '';
    return `--${long} needs a value, and the next argument, ${quote(next)}, begins with '-' and is taken for a flag; if it is the value, write ${quote(`--${long}=${next}`)}`;
  }
  if ((m = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message))) return `${m[1]} needs a value`;
  if ((m = /^Option '(-[\w-]+|--[\w-]+)' does not take an argument/.exec(message))) return `${m[1]} takes no value`;
  if ((m = /^Unknown option '(.*?)'(?:\. To specify a positional|$)/s.exec(message))) return `unknown option ${quote(m[1]!)}`;
  if ((m = /^Unexpected argument '(.*?)'\. This command does not take positional arguments/s.exec(message))) return `unexpected argument ${quote(m[1]!)}; this command takes flags only`;
  return oneLine(message, 300);
}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError('HAX_ERR_USAGE', `${usageMessage(argv, options, error as Error)}; see 'hax ${command} --help'`, { cause: error });
  }
}

/** "HOST:PORT" (IPv6 in brackets) → {host, port}; port 0 picks a free one. */
export function parseHostPort(flag: string, text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError('HAX_ERR_BAD_VALUE', `${flag} ${quote(text)} is not HOST:PORT (e.g. 127.0.0.1:8008)`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** An HA-link listener: tcp:HOST:PORT or unix:/absolute/path. */
export function parseListen(text: string): string {
  if (text.startsWith('tcp:')) { parseHostPort('--listen', text.slice(4)); return text; }
  if (text.startsWith('unix:') && text.length > 5 && text[5] === '/') return text;
  throw new ConfigError('HAX_ERR_BAD_VALUE', `--listen ${quote(text)} is neither tcp:HOST:PORT nor unix:/absolute/path`);
}

/** The Consul agent's HTTP address: http(s)://HOST:PORT, or HOST:PORT as CONSUL_HTTP_ADDR allows. */
export function parseConsulUrl(text: string): string {
  const withScheme = /^[a-z]+:\/\//.test(text) ? text : `http://${text}`;
  let url: URL;
  try { url = new URL(withScheme); } catch {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--consul ${quote(text)} is not a URL like http://127.0.0.1:8500`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--consul ${quote(text)} must be http(s)://HOST:PORT with no path`);
  }
  return url.origin;
}

export function parsePositiveInt(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new ConfigError('HAX_ERR_BAD_VALUE', `${flag} ${quote(text)} must be a whole number from 1 to ${max}`);
  return Number(text);
}
