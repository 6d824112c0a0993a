// One Consul agent process: started with its output in a file (never a
// pipe: a pipe nobody drains fills at 64 KiB and the agent's logger blocks,
// and with it every HTTP request), stopped by its pid. Used by the dev agent
// (dev-agent.ts) and the cluster launcher (cluster.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface AgentProcess {
  readonly pid: number;
  /** True once the process has exited (or was killed). */
  exited(): boolean;
  /** Resolves when the process has exited. */
  readonly exit: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a node that dies without a word (its gossip peers must find out). */
  kill(): Promise<void>;
  /** The tail of the agent's log. */
  log(): string;
  exitCode(): number | null;
}

export function spawnAgent(bin: string, args: string[], logPath: string): AgentProcess {
  const logFd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const signal = (sig: NodeJS.Signals) => { try { process.kill(child.pid!, sig); } catch { /* gone */ } };
  return {
    pid: child.pid!,
    exit,
    exited: () => !running(),
    exitCode: () => child.exitCode,
    log: () => { try { return readFileSync(logPath, 'utf8').slice(-200_000); } catch { return ''; } },
    stop: async (graceMs = 5000) => {
      if (!running()) return;
      signal('SIGTERM');
      const killer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exit;
      clearTimeout(killer);
    },
    kill: async () => {
      if (!running()) return;
      signal('SIGKILL');
      await exit;
    },
  };
}
