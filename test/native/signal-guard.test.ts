// A library whose ELF constructor replaces Node's signal handlers
// (libinfinipath under libmotr does; sig_thief.node mimics it) cannot break
// hax's orderly SIGTERM or V8's WebAssembly traps when the addon is loaded
// through loadGuarded (src/native/signal-guard.ts). Each case runs in a child
// (test/native/_sigterm-child.ts); the unguarded controls show the thief
// really breaks both, so these tests can fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADDON_PATH, addonLoadReport, loadAddon } from '../../src/native/binding.ts';
import { guardWarnings, type GuardReport } from '../../src/native/signal-guard.ts';

const CHILD = fileURLToPath(new URL('./_sigterm-child.ts', import.meta.url));
// Where the normal build (npm run build:native) puts them.
const THIEF = fileURLToPath(new URL('../../build/native/Release/sig_thief.node', import.meta.url));

interface Ready { report: GuardReport | null; ipath: string | null }
interface Done { code: number | null; signal: string | null; stdout: string; stderr: string }

/** Starts the child; `ready` rejects if it ends before printing READY. */
function run(load: 'guarded' | 'plain' | 'missing-guard', act: 'sigterm' | 'wasm', env: NodeJS.ProcessEnv = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('IPATH_NO_BACKTRACE' in env)) delete childEnv.IPATH_NO_BACKTRACE; // the guard must set it itself
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, load, act, THIEF], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  let stdout = '', stderr = '';
  let onReady!: (r: Ready) => void, onEarlyEnd!: (e: Error) => void;
  const ready = new Promise<Ready>((resolve, reject) => { onReady = resolve; onEarlyEnd = reject; });
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    const m = /^READY (.*)$/m.exec(stdout);
    if (m) onReady(JSON.parse(m[1]!) as Ready);
  });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<Done>((resolve) => child.on('close', (code, signal) => {
    onEarlyEnd(new Error(`child ended (code ${code}, signal ${signal}) before READY; stderr: ${stderr}`));
    resolve({ code, signal, stdout, stderr });
  }));
  return { child, ready, done };
}

const thiefSignals = (r: GuardReport | null) => r?.restored.filter((s) => s.replacedBy === THIEF).map((s) => s.signal).sort();

test('guarded: SIGTERM reaches process.on(SIGTERM) (exit 0); the report names the thief for SIGINT, SIGSEGV and SIGTERM', async () => {
  const c = run('guarded', 'sigterm');
  const ready = await c.ready;
  c.child.kill('SIGTERM');
  const r = await c.done;
  assert.is(r.signal, null);
  assert.is(r.code, 0, r.stderr);
  assert.is(ready.report?.guardError, null);
  assert.equal(thiefSignals(ready.report), ['SIGINT', 'SIGSEGV', 'SIGTERM']);
  assert.equal(ready.report?.restored.length, 3, JSON.stringify(ready.report));
  assert.is(ready.ipath, '1');
});

test('control, unguarded: the thief turns SIGTERM into a silent exit 1', async () => {
  const c = run('plain', 'sigterm');
  await c.ready;
  c.child.kill('SIGTERM');
  const r = await c.done;
  assert.is(r.signal, null);
  assert.is(r.code, 1);
  assert.is(r.stderr, '');
});

test('guarded: an out-of-bounds wasm load still throws a catchable WebAssembly.RuntimeError', async () => {
  const c = run('guarded', 'wasm');
  await c.ready;
  const r = await c.done;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^TRAP RuntimeError: memory access out of bounds true$/m);
});

test('control, unguarded: the thief turns the wasm trap into exit 1', async () => {
  const c = run('plain', 'wasm');
  await c.ready;
  const r = await c.done;
  assert.is(r.signal, null);
  assert.is(r.code, 1);
  assert.not.match(r.stdout, /TRAP/);
  assert.is(r.stderr, '');
});

test('sigguard.node missing: the addon still loads, the report says the guard was unavailable', async () => {
  const c = run('missing-guard', 'sigterm');
  const ready = await c.ready;
  c.child.kill('SIGTERM');
  const r = await c.done;
  assert.is(ready.report?.guardError?.code, 'HAX_ERR_SIGGUARD_UNAVAILABLE');
  assert.match(ready.report?.guardError?.message ?? '', /\/nonexistent\/sigguard\.node/);
  assert.equal(ready.report?.restored, []);
  assert.is(r.code, 1); // unguarded, so the thief wins
});

test('an IPATH_NO_BACKTRACE the operator set is kept', async () => {
  const c = run('guarded', 'sigterm', { IPATH_NO_BACKTRACE: '0' });
  const ready = await c.ready;
  c.child.kill('SIGTERM');
  assert.is((await c.done).code, 0);
  assert.is(ready.ipath, '0');
});

test('shim.node loads through the guard: the guard ran and nothing was replaced', () => {
  loadAddon();
  assert.equal(addonLoadReport(), { addon: ADDON_PATH, restored: [], guardError: null });
});

test('guardWarnings: none for a clean load, one naming each restored signal and its library, one for a missing guard', () => {
  assert.equal(guardWarnings({ addon: '/a/shim.node', restored: [], guardError: null }), []);
  const [w] = guardWarnings({ addon: '/a/shim.node', restored: [{ signal: 'SIGTERM', replacedBy: '/lib/libinfinipath.so.4' }], guardError: null });
  assert.equal(w?.fields, { addon: '/a/shim.node', restored: ['SIGTERM (replaced by /lib/libinfinipath.so.4)'] });
  const [u] = guardWarnings({ addon: '/a/shim.node', restored: [], guardError: { code: 'HAX_ERR_SIGGUARD_UNAVAILABLE', message: 'cannot load' } });
  assert.is(u?.fields.code, 'HAX_ERR_SIGGUARD_UNAVAILABLE');
});

test.run();
