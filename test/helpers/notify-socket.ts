// A systemd-style notification socket for tests: python3 binds an AF_UNIX
// datagram socket (Node cannot) and prints every datagram as one JSON line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"ready": True}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"datagram": data.decode("utf-8", "replace")}), flush=True)
`;

export interface NotifySocket {
  path: string;
  datagrams: string[];
  /** Resolves with the first datagram containing `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

export async function openNotifySocket(): Promise<NotifySocket> {
  const path = join(mkdtempSync(join(tmpdir(), 'hax-notify-')), 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const datagrams: string[] = [];
  const waiters: { text: string; resolve: (d: string) => void }[] = [];
  let buffered = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => { readyResolve = r; });
  child.stdout!.on('data', (chunk) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl)) as { ready?: boolean; datagram?: string };
      buffered = buffered.slice(nl + 1);
      if (line.ready) { readyResolve(); continue; }
      datagrams.push(line.datagram!);
      for (const w of waiters.filter((w) => line.datagram!.includes(w.text))) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line.datagram!); }
    }
  });
  await ready;
  return {
    path, datagrams,
    waitFor: (text, timeoutMs = 60_000) => {
      const seen = datagrams.find((d) => d.includes(text));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no datagram with "${text}" in ${timeoutMs} ms (got ${JSON.stringify(datagrams)})`)), timeoutMs);
        waiters.push({ text, resolve: (d) => { clearTimeout(t); resolve(d); } });
      });
    },
    close: () => { child.kill('SIGKILL'); },
  };
}
