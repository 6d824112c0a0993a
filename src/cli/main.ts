// The `hax` command: dispatches to a subcommand; every refusal is one clear
// line on stderr and exit status 2.
import { HaxError } from '../errors.ts';
import { runCommand } from './run.ts';
import { demoCommand } from './demo.ts';
import { simCommand } from './sim.ts';
import { consulConfigCommand } from './consul-config.ts';
import { statusCommand } from './status.ts';
import { codecCommand } from './codec.ts';
import { bootstrapCommand } from './bootstrap.ts';

const HELP = `Usage: hax <command> [options]

Commands:
  run      run the daemon (HA links <-> Consul)
  demo     start a Consul dev agent, a demo cluster, hax and simulated Motr processes
  sim      simulate Motr processes (m0d / m0mkfs) talking to a running hax
  consul-config  print the Consul agent watch configuration for this node
  status   print the cluster as the local hax sees it
  codec    decode or encode Motr HA wire bytes (hex/binary <-> JSON)
  bootstrap  write a cluster description into Consul in hare's layout
  help     this text

'hax <command> --help' describes a command's options.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { run: runCommand, demo: demoCommand, 'consul-config': consulConfigCommand, status: statusCommand, sim: simCommand, codec: codecCommand, bootstrap: bootstrapCommand };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) { process.stderr.write(`hax: unknown command "${command}"; see 'hax help'\n`); return 2; }
  try {
    return await run(rest);
  } catch (error) {
    if (error instanceof HaxError) {
      process.stderr.write(`hax ${command}: ${error.message} [${error.code}]\n`);
      return error.code === 'HAX_ERR_USAGE' || error.code === 'HAX_ERR_BAD_VALUE' ? 2 : 1;
    }
    throw error;
  }
}
