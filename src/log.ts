// Structured logs: one JSON object per line on stdout, one line per
// significant event. Never pass secrets in fields.
export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

/**
 * The default sink: stdout, until stdout fails. A log stream can break under
 * a running daemon — journald restarted (systemd does not hand the service a
 * new stream), or `hax run | head` — and the write error, unhandled, would
 * exit hax: storage HA must not stop for its log. The lines are dropped from
 * then on, with one word on stderr (which may be gone too).
 */
let stdoutBroken = false;
let stdoutGuarded = false;
function writeStdout(line: string): void {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (stdoutBroken) return;
      stdoutBroken = true;
      process.stderr.on('error', () => { /* gone as well */ });
      process.stderr.write(`hax: writing the log to stdout failed (${error.code ?? error.message}); log lines are dropped from now on, hax runs on\n`);
    });
  }
  if (!stdoutBroken) process.stdout.write(line + '\n');
}

export function createLogger(options: { level?: Level; component?: string; write?: (line: string) => void } = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? writeStdout;
  const make = (component: string | undefined): Logger => ({
    log(level, msg, fields) {
      if (RANK[level] < min) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, ...(component ? { component } : {}), msg, ...fields }, bigintSafe));
    },
    child: (c) => make(component ? `${component}.${c}` : c),
  });
  return make(options.component);
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
