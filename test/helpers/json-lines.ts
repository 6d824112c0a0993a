// A child process's stdout read as JSON lines: every record is kept, and
// next(pred) resolves with the first record, past or future, that matches.
// The native and simulator tests run their HA sides in children that report
// this way (listening, received, report, ...).
import type { Readable } from 'node:stream';

export interface JsonLines {
  readonly lines: any[];
  next(pred: (line: any) => boolean): Promise<any>;
}

export function readJsonLines(stream: Readable): JsonLines {
  const lines: any[] = [];
  const waiters: { pred: (line: any) => boolean; resolve: (line: any) => void }[] = [];
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.pred(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  });
  return {
    lines,
    next: (pred) => new Promise((resolve) => {
      const hit = lines.find(pred);
      if (hit) resolve(hit); else waiters.push({ pred, resolve });
    }),
  };
}
