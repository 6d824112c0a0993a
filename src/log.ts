// Structured logs: one JSON object per line on stdout, one line per
// significant event. Never pass secrets in fields.
export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export function createLogger(options: { level?: Level; component?: string; write?: (line: string) => void } = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
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
