// Real Motr for test/motr: where the binaries are (MOTR_ROOT, built by
// scripts/motr/build.sh), why the tests are skipped when they are not, and
// the processes the scenarios run — m0mkfs, m0d and `hax run --backend motr`
// — as child processes whose output goes to files (a pipe nobody drains
// would stall them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAddon } from '../../src/native/binding.ts';

export interface MotrTools { root: string; m0d: string; m0mkfs: string; m0confgen: string }

/** The built tree under MOTR_ROOT, or why the real-Motr tests cannot run here. */
export function motrTools(): MotrTools | { skip: string } {
  const root = process.env.MOTR_ROOT;
  if (!root) return { skip: 'MOTR_ROOT is not set (build libmotr with scripts/motr/build.sh SRC_DIR, then export MOTR_ROOT=SRC_DIR; docs/motr.md)' };
  const tools = { root, m0d: join(root, 'motr/m0d'), m0mkfs: join(root, 'utils/mkfs/m0mkfs'), m0confgen: join(root, 'utils/m0confgen') };
  for (const [name, path] of Object.entries(tools)) if (name !== 'root' && !existsSync(path)) return { skip: `${path} does not exist (MOTR_ROOT=${root} is not a built tree)` };
  let motr = false;
  try { motr = loadAddon().motrAvailable; } catch (error) { return { skip: `the native shim does not load: ${(error as Error).message}` }; }
  if (!motr) return { skip: 'build/native/Release/shim.node was built without the motr backend (npm run build:native:motr with MOTR_ROOT set)' };
  return tools;
}

/** A child process whose stdout and stderr go to `log`. */
export class Child {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(readonly name: string, cmd: string, args: string[], readonly log: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    const fd = openSync(log, 'a');
    this.child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => { this.exit = { code, signal }; resolve(this.exit); }));
  }

  get pid(): number { return this.child.pid!; }
  output(): string { try { return readFileSync(this.log, 'utf8'); } catch { return ''; } }
  alive(): boolean { return this.exit === undefined; }

  /** Resolves when the output contains `text`; rejects when the process exits first or the time is up. */
  async waitFor(text: string | RegExp, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    const seen = () => (typeof text === 'string' ? this.output().includes(text) : text.test(this.output()));
    while (!seen()) {
      if (!this.alive()) throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before printing ${text}; its log: ${this.log}\n${this.output().slice(-1500)}`);
      if (Date.now() > end) throw new Error(`${this.name} did not print ${text} within ${timeoutMs} ms; its log: ${this.log}\n${this.output().slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the exit; rejects when the time is up (the process is then left running for the caller to kill). */
  async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms; its log: ${this.log}\n${this.output().slice(-1500)}`)), timeoutMs); });
    try { return await Promise.race([this.exited, late]); } finally { clearTimeout(timer); }
  }

  kill(signal: NodeJS.Signals): void { if (this.alive()) this.child.kill(signal); }
}

/** One Motr process's directory and command line (m0d and m0mkfs take the same options). */
export interface MotrProcess { name: string; fid: string; port: number; dir: string; conf?: string }

export function motrArgs(p: MotrProcess, haEndpoint: string): string[] {
  const args = ['-e', `libfab:inet:tcp:127.0.0.1@${p.port}`, '-f', `<${p.fid}>`, '-H', haEndpoint,
    '-T', 'linux', '-D', 'db', '-S', 'stobs', '-A', 'linuxstob:addb-stobs', '-m', '65536', '-q', '16'];
  if (p.conf) args.push('-c', p.conf);
  return args;
}

/** Motr's scripts and libtool wrappers want Debian's tools first. */
export function motrEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`, PYTHON: '/usr/bin/python3' };
}

export function runM0(tools: MotrTools, binary: 'm0d' | 'm0mkfs', p: MotrProcess, haEndpoint: string, tag: string): Child {
  mkdirSync(p.dir, { recursive: true });
  return new Child(`${binary} ${p.name}`, tools[binary], motrArgs(p, haEndpoint), join(p.dir, `${binary}-${tag}.log`), { cwd: p.dir, env: motrEnv() });
}

/** m0confgen's text → conf.xc. Throws with its output when it fails. */
export function confgen(tools: MotrTools, text: string, out: string): void {
  const r = spawnSync('/usr/bin/python3', [tools.m0confgen, text], { env: motrEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`m0confgen ${text} failed (${r.status}): ${r.stderr}`);
  writeFileSync(out, r.stdout);
}
