// Runs the `hax` command in a child process without blocking this process's
// event loop (tests often host the daemon under test in-process).
import { spawn } from 'node:child_process';

export const HAX_BIN = new URL('../../bin/hax.js', import.meta.url).pathname;

export function runHax(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [HAX_BIN, ...args]);
    let stdout = '', stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
