// The shared HTTP token: from --token-file (preferred: a file's content does
// not show in `ps`) or $HAX_HTTP_TOKEN. Never logged.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { quote } from './args.ts';

/** The largest token file read: a token is 8 to 4096 characters, this leaves room for whitespace around it. */
export const TOKEN_FILE_MAX_BYTES = 65_536;

const kindOf = (st: Stats): string =>
  st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device'
    : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a file';

/**
 * A token file's text: a regular file of at most TOKEN_FILE_MAX_BYTES.
 * Opened without blocking (a FIFO with no writer) and checked on the open
 * descriptor, so what is read is what was checked; /dev/zero, a FIFO or a
 * directory is refused, never read.
 */
function readTokenFile(path: string): string {
  const bad = (why: string) => new ConfigError('HAX_ERR_BAD_VALUE', `--token-file ${quote(path)} ${why}`);
  let fd: number;
  try { fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0)); } catch (error) {
    throw bad(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw bad(`is not a regular file (${kindOf(st)})`);
    const tooBig = (size: number | string) => bad(`is ${size} bytes; a token file is at most ${TOKEN_FILE_MAX_BYTES} bytes (a token is 8 to 4096 characters)`);
    if (st.size > TOKEN_FILE_MAX_BYTES) throw tooBig(st.size);
    const buf = Buffer.alloc(TOKEN_FILE_MAX_BYTES + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
    if (n > TOKEN_FILE_MAX_BYTES) throw tooBig(`more than ${TOKEN_FILE_MAX_BYTES}`);   // it grew after the check
    return buf.toString('utf8', 0, n);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw bad(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

export function readToken(tokenFile: string | undefined, env = process.env): string | undefined {
  let token: string | undefined;
  if (tokenFile !== undefined) {
    token = readTokenFile(tokenFile).trim();
    if (token === '') throw new ConfigError('HAX_ERR_BAD_VALUE', `--token-file ${quote(tokenFile)} is empty`);
  } else if (env.HAX_HTTP_TOKEN !== undefined && env.HAX_HTTP_TOKEN.trim() !== '') {
    token = env.HAX_HTTP_TOKEN.trim();
  }
  if (token !== undefined && !/^[\x21-\x7e]{8,4096}$/.test(token)) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', 'the HTTP token must be 8 to 4096 printable characters without spaces');
  }
  return token;
}
