// The `hax` command: dispatches to a subcommand; every refusal is one clear
// line on stderr with its code, exit status 2 for bad usage, a bad value or
// a bad configuration file.
//
// Each command's module is loaded only when that command runs: `hax --help`
// or `hax status` need not load the daemon, the HTTP layer and their
// schemas (bench/startup measures it).
import { HaxError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { oneLine, quote } from './args.ts';

const HELP = `Usage: hax <command> [options]

Commands:
  run      run the daemon (HA links <-> Consul)
  demo     start a Consul dev agent, a demo cluster, hax and simulated Motr processes
  sim      simulate Motr processes (m0d / m0mkfs) talking to a running hax
  consul-config  print the Consul agent watch configuration for this node
  status   print the cluster as the local hax sees it
  codec    decode or encode Motr HA wire bytes (hex/binary <-> JSON)
  bootstrap  write a cluster description into Consul in hare's layout
  config check FILE  check a configuration file for 'hax run --config FILE'
  help     this text ('hax --version' prints the version)

'hax <command> --help' describes a command's options.
`;

type Command = (argv: string[]) => Promise<number>;
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.ts')).runCommand,
  demo: async () => (await import('./demo.ts')).demoCommand,
  'consul-config': async () => (await import('./consul-config.ts')).consulConfigCommand,
  status: async () => (await import('./status.ts')).statusCommand,
  sim: async () => (await import('./sim.ts')).simCommand,
  codec: async () => (await import('./codec.ts')).codecCommand,
  bootstrap: async () => (await import('./bootstrap.ts')).bootstrapCommand,
  config: async () => (await import('./config.ts')).configCommand,
};

const usage = (why: string): number => {
  process.stderr.write(`hax: ${why}; expected one of ${Object.keys(COMMANDS).join(', ')}; see 'hax help' [HAX_ERR_USAGE]\n`);
  return 2;
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write(`hax ${VERSION}\n`);
    return 0;
  }
  if (command === undefined) return usage('no command given');
  // own properties only: "__proto__" or "toString" is no command
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!load) return usage(`unknown command ${quote(command)}`);
  try {
    const run = await load();
    return await run(rest);
  } catch (error) {
    return refusal(command, error);
  }
}

/**
 * Any error a command throws, as one line on stderr with its code: a HaxError
 * (exit 2 for a bad flag or value, else 1), an error of the core or the
 * native shim with its HAX_ERR_ code (exit 1), anything else as
 * HAX_ERR_INTERNAL (a bug in hax; exit 1). Never a stack trace.
 */
function refusal(command: string, error: unknown): number {
  const code = (error as { code?: unknown })?.code;
  const coded = typeof code === 'string' && /^HAX_ERR_[A-Z0-9_]+$/.test(code);
  const message = error instanceof Error ? error.message : String(error);
  const text = coded ? message : `unexpected error (a bug in hax): ${(error as Error)?.name ?? 'Error'}: ${message}`;
  // a message that already names the command ("hax codec decode: …") gets no second prefix
  const line = new RegExp(`^hax ${command.replace(/[^a-z-]/g, '')}( [a-z-]+)?: `).test(text) ? text : `hax ${command}: ${text}`;
  process.stderr.write(`${oneLine(line, 1000)} [${coded ? code : 'HAX_ERR_INTERNAL'}]\n`);
  if (!coded) return 1;
  return error instanceof HaxError && (code === 'HAX_ERR_USAGE' || code === 'HAX_ERR_BAD_VALUE' || code.startsWith('HAX_ERR_CONFIG_')) ? 2 : 1;
}
