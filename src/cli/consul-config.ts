// `hax consul-config`: the Consul agent configuration for this node's watches.
//
// --out FILE is written whole through a new temporary file in FILE's
// directory, created with the final mode (0600 when it holds a token), and
// renamed over FILE: the mode of a file that was there before never carries
// over, and a reader never sees half a file. A symlink, a directory or
// anything but a regular file at FILE is refused, as is a FILE that cannot
// be written; every refusal is HAX_ERR_BAD_VALUE, exit status 2.
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { watchConfig } from '../consul/watch-config.ts';
import { ConfigError } from '../errors.ts';
import { show } from '../bootstrap/cluster.ts';
import { parseFlags, parseHostPort } from './args.ts';
import { refuseRepeatedFlags } from './bootstrap.ts';
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
  --out FILE         write there instead of stdout: whole, through a temporary
                     file renamed over FILE, mode 0600 when it holds a token
                     (0644 otherwise, less the umask) whatever FILE's mode was;
                     FILE must not be a symlink or a directory
  -h, --help         this text

Exit status: 0 written, 2 bad flags or a FILE that cannot be written.
`;

const OPTIONS = {
  http: { type: 'string' }, services: { type: 'string' }, 'token-file': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

/** A token file is small and regular: reading /dev/zero or a FIFO would never end. */
function checkTokenFile(path: string): void {
  let st;
  try { st = statSync(path); } catch { return; /* readToken names the error */ }
  if (!st.isFile()) throw new ConfigError('HAX_ERR_BAD_VALUE', `--token-file ${show(path)} is not a regular file`);
  if (st.size > 65_536) throw new ConfigError('HAX_ERR_BAD_VALUE', `--token-file ${show(path)} is ${st.size} bytes; a token is at most 4096 characters`);
}

/** Writes `text` to `out` through a temporary file created with `mode` in the same directory, renamed over `out`. */
export function writeConfigFile(out: string, text: string, mode: number): void {
  const bad = (why: string, cause?: unknown) => new ConfigError('HAX_ERR_BAD_VALUE', `--out ${show(out)} ${why}`, { cause });
  if (out === '') throw bad('is empty');
  let st;
  try { st = lstatSync(out); } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw bad(`cannot be written: ${code ?? (error as Error).message}`, error);
  }
  if (st?.isSymbolicLink()) throw bad('is a symbolic link; give the path of the file itself');
  if (st?.isDirectory()) throw bad('is a directory; give the path of a file');
  if (st && !st.isFile()) throw bad('is not a regular file');
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  let fd: number | undefined;
  try {
    // 'wx' (O_CREAT|O_EXCL): a new file with `mode` (less the umask), never one that is there, never through a symlink.
    fd = openSync(tmp, 'wx', mode);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, out);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw bad(`cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, error);
  }
}

export async function consulConfigCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('consul-config', argv, OPTIONS);
  if (values.help) { process.stdout.write(CONSUL_CONFIG_HELP); return 0; }
  refuseRepeatedFlags('consul-config', argv, OPTIONS);
  const http = parseHostPort('--http', values.http ?? '127.0.0.1:8008');
  const services = (values.services ?? 'hax,confd,ios').split(',').map((s) => s.trim());
  if (services.some((s) => !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(s))) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', `--services ${show(values.services)} must be comma-separated Consul service names`);
  }
  const twice = services.find((s, i) => services.indexOf(s) !== i);
  if (twice) throw new ConfigError('HAX_ERR_BAD_VALUE', `--services ${show(values.services)} names ${twice} twice`);
  if (values['token-file'] !== undefined) checkTokenFile(values['token-file']);
  const token = readToken(values['token-file']);
  const host = http.host.includes(':') ? `[${http.host}]` : http.host;
  const text = JSON.stringify(watchConfig({ haxUrl: `http://${host}:${http.port}`, services, token }), null, 2) + '\n';
  if (values.out !== undefined) writeConfigFile(values.out, text, token ? 0o600 : 0o644);
  else process.stdout.write(text);
  return 0;
}
