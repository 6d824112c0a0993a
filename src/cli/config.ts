// `hax config check FILE`: checks a configuration file for `hax run`
// without starting anything — every key known, every value of the right
// type and accepted by the same checks `hax run` makes, taken as hax run
// would take the file alone (no flags, no environment). Exit status 0 when
// the file is good; a refusal names the file, the key and what is wrong.
import { ConfigError } from '../errors.ts';
import { readConfigFile } from '../config/config-file.ts';
import { quote } from './args.ts';
import { RUN_FLAGS, runOptions } from './run.ts';

export const CONFIG_HELP = `Usage: hax config check FILE

Checks FILE, a configuration file for 'hax run --config FILE' (the Debian
package's is /etc/hax/hax.yaml), without starting hax: a YAML mapping whose
keys are hax run's long flags (see 'hax run --help'), each value as that flag
takes it (a list for a repeatable flag, true/false for a switch). Every value
is checked as hax run checks it, the file taken alone: flags and environment
variables, which win over the file when hax runs, are not consulted.

Exit status: 0 the file is good, 2 it is not (one line says where and why).
`;

export async function configCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || (sub === 'check' && (rest.includes('--help') || rest.includes('-h')))) {
    process.stdout.write(CONFIG_HELP);
    return 0;
  }
  if (sub !== 'check') {
    throw new ConfigError('HAX_ERR_USAGE', `${sub === undefined ? 'no subcommand given' : `unknown subcommand ${quote(sub)}`}; expected 'hax config check FILE'`);
  }
  if (rest.length !== 1 || rest[0]!.startsWith('-')) {
    throw new ConfigError('HAX_ERR_USAGE', `check takes one argument, the file's path (got ${rest.length === 0 ? 'none' : rest.map((a) => quote(a)).join(' ')}); see 'hax config --help'`);
  }
  const file = rest[0]!;
  const keys = [...readConfigFile(file, RUN_FLAGS).keys()];
  runOptions(['--config', file], {});
  process.stdout.write(`hax config check: ${file} is good; ${keys.length === 0 ? 'it sets nothing (every setting at its default)' : `it sets ${keys.join(', ')}`}\n`);
  return 0;
}
