// The shared HTTP token: from --token-file (preferred: a file's content does
// not show in `ps`) or $HAX_HTTP_TOKEN. Never logged.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';

export function readToken(tokenFile: string | undefined, env = process.env): string | undefined {
  let token: string | undefined;
  if (tokenFile !== undefined) {
    try { token = readFileSync(tokenFile, 'utf8').trim(); } catch (error) {
      throw new ConfigError('HAX_ERR_BAD_VALUE', `--token-file "${tokenFile}" cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (token === '') throw new ConfigError('HAX_ERR_BAD_VALUE', `--token-file "${tokenFile}" is empty`);
  } else if (env.HAX_HTTP_TOKEN !== undefined && env.HAX_HTTP_TOKEN.trim() !== '') {
    token = env.HAX_HTTP_TOKEN.trim();
  }
  if (token !== undefined && !/^[\x21-\x7e]{8,4096}$/.test(token)) {
    throw new ConfigError('HAX_ERR_BAD_VALUE', 'the HTTP token must be 8 to 4096 printable characters without spaces');
  }
  return token;
}
