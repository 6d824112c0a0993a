// Loads a native addon and puts back the signal handlers that the ELF
// constructors of its libraries replaced while it loaded (docs/native.md,
// "Signal handlers of loaded libraries").
//
// Why: dlopen() runs every new library's constructor before any of our code.
// libinfinipath.so.4 (libmotr → libfabric → libinfinipath) installs its own
// SIGSEGV/SIGILL/SIGABRT/SIGINT/SIGTERM/SIGBUS/SIGFPE handlers there; on
// SIGTERM it calls exit(1), so hax would die silently instead of shutting
// down in order, and its SIGSEGV handler would turn a WebAssembly trap (V8
// catches out-of-bounds accesses through SIGSEGV) into a crash. Node's own
// handlers — libuv's for signals JS listens to, SignalExit for SIGINT and
// SIGTERM, the wasm trap handler — must win.
//
// sigguard.node (native/src/sigguard/) records the handlers before the load
// and restores the changed ones after it. It is built by the same build into
// the same directory as the addon it guards.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface RestoredSignal {
  signal: string;      // 'SIGTERM'
  /** Who had replaced Node's handler: the shared object (dladdr), 'SIG_DFL', 'SIG_IGN' or 'unknown'. */
  replacedBy: string;
}

export interface GuardReport {
  /** The addon that was loaded. */
  addon: string;
  /** Signals whose handler the load replaced and the guard put back, in a fixed order. */
  restored: RestoredSignal[];
  /** null when the guard ran; otherwise why it did not (the addon was then loaded unguarded). */
  guardError: { code: string; message: string } | null;
}

export type GuardedLoad<T> = GuardReport & { module: T };

interface SigGuard {
  snapshot(): number;
  restore(id: number): RestoredSignal[];
}

/** Where loadGuarded looks for sigguard.node by default: next to the addon. */
export function sigguardPathFor(addonPath: string): string {
  return join(dirname(addonPath), 'sigguard.node');
}

/**
 * Loads the addon at `path` (require(), so a second call returns the cached
 * module and changes nothing) between a snapshot and a restore of the
 * watched signal handlers. A missing or failing sigguard.node never stops the
 * load: the report's guardError says so. Throws whatever require() throws
 * when the addon itself cannot be loaded (after restoring the handlers).
 */
export function loadGuarded<T>(path: string, guardPath: string = sigguardPathFor(path)): GuardedLoad<T> {
  // libinfinipath reads this in its constructor, i.e. during the load below,
  // and then leaves the signal handlers alone; the guard covers every other
  // library. Set on process.env it reaches the C environment (getenv) in the
  // main thread; a worker's process.env is its own copy (unless SHARE_ENV), so
  // there only the guard helps. An operator's own value is kept, and the
  // variable stays set so Motr tools started by hax inherit it.
  process.env.IPATH_NO_BACKTRACE ??= '1';
  const require = createRequire(import.meta.url);
  const guard = openGuard(require, guardPath);
  if (!guard.ok) return { addon: path, module: require(path) as T, restored: [], guardError: guard.error };

  let module: T;
  try {
    module = require(path) as T;
  } catch (loadError) {
    restore(guard.guard, guard.id); // the load error is the one to report
    throw loadError;
  }
  const r = restore(guard.guard, guard.id);
  return { addon: path, module, restored: r.restored, guardError: r.error };
}

type Opened = { ok: true; guard: SigGuard; id: number } | { ok: false; error: { code: string; message: string } };

function openGuard(require: NodeRequire, guardPath: string): Opened {
  let guard: SigGuard;
  try {
    guard = require(guardPath) as SigGuard;
  } catch (e) {
    return { ok: false, error: { code: 'HAX_ERR_SIGGUARD_UNAVAILABLE', message: `cannot load ${guardPath} (run npm run build:native): ${errorText(e)}` } };
  }
  try {
    return { ok: true, guard, id: guard.snapshot() };
  } catch (e) {
    return { ok: false, error: { code: codeOf(e), message: errorText(e) } };
  }
}

function restore(guard: SigGuard, id: number): { restored: RestoredSignal[]; error: GuardReport['guardError'] } {
  try {
    return { restored: guard.restore(id), error: null };
  } catch (e) {
    return { restored: [], error: { code: codeOf(e), message: errorText(e) } };
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const codeOf = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'HAX_ERR_SIGGUARD';
};

/** What an operator should be told about a guarded load: nothing when no handler changed and the guard ran. */
export function guardWarnings(report: GuardReport): { msg: string; fields: Record<string, unknown> }[] {
  const out: { msg: string; fields: Record<string, unknown> }[] = [];
  if (report.restored.length > 0) {
    out.push({
      msg: 'a library loaded with the native addon replaced signal handlers; Node\'s were restored',
      fields: { addon: report.addon, restored: report.restored.map((r) => `${r.signal} (replaced by ${r.replacedBy})`) },
    });
  }
  if (report.guardError) {
    out.push({
      msg: 'native addon loaded without the signal guard; a library may have replaced signal handlers (docs/native.md)',
      fields: { addon: report.addon, code: report.guardError.code, error: report.guardError.message },
    });
  }
  return out;
}
