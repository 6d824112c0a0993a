// Stopping a process (the Consul agent) for a fault test. kill(SIGSTOP)
// returns before the process has stopped: the kernel stops each thread when
// that thread next runs, and on a busy machine the agent's threads go on
// serving HTTP for a few milliseconds (a PUT sent right after the signal was
// answered in about 1 of 7 tries on a loaded 2-core machine). A test that
// sends work "during the outage" must wait until every thread is stopped, or
// what it sends may still be applied and answered, and legitimately so.
// Linux only (/proc), as the fault tests are.
import { readdirSync, readFileSync } from 'node:fs';
import { waitFor } from './wait.ts';

/** The state letter of each thread of `pid` (ps(1): R running, S sleeping, T stopped, ...). */
export function threadStates(pid: number): string[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch (error) {
    throw new Error(`cannot read the threads of process ${pid} from /proc (the fault tests need Linux): ${(error as Error).message}`);
  }
  const states: string[] = [];
  for (const t of tasks) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); } catch { continue; }   // the thread ended meanwhile
    // "tid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'
    states.push(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  }
  return states;
}

/** True when no thread of `pid` can run user code: every one is stopped (T) or stopped by a tracer (t). */
export function allStopped(pid: number): boolean {
  const states = threadStates(pid);
  return states.length > 0 && states.every((s) => s === 'T' || s === 't');
}

/** SIGSTOP, then waits until every thread of `pid` has stopped: from then on it answers nothing. */
export async function stopProcess(pid: number, timeoutMs = 10_000): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitFor(`every thread of process ${pid} stopped`, () => allStopped(pid), timeoutMs, 1, () => `thread states ${threadStates(pid).join('')}`);
}
