// A process that wants an orderly SIGTERM and loads sig_thief.node
// (native/test-support/sig_thief.cc: its constructor replaces SIGTERM, SIGINT
// and SIGSEGV with _exit(1), like libinfinipath). Usage:
//   node --import tsx test/native/_sigterm-child.ts LOAD ACT THIEF_PATH
// LOAD: guarded        loadGuarded(sig_thief.node)
//       plain          process.dlopen(sig_thief.node), no guard
//       missing-guard  loadGuarded with a sigguard.node path that does not exist
// ACT:  sigterm        process.on('SIGTERM') → exit 0 (registered before the
//                      load); prints "READY <report JSON>" and waits
//       wasm           prints READY, then an out-of-bounds load in a tiny wasm
//                      module; prints "TRAP <name>: <message>" when it was
//                      caught and exits 0
import { loadGuarded } from '../../src/native/signal-guard.ts';

const [load, act, thiefPath] = process.argv.slice(2) as [string, string, string];

if (act === 'sigterm') process.on('SIGTERM', () => process.exit(0));

let report: unknown = null;
if (load === 'guarded') {
  const { module: _module, ...r } = loadGuarded(thiefPath);
  report = r;
} else if (load === 'missing-guard') {
  const { module: _module, ...r } = loadGuarded(thiefPath, '/nonexistent/sigguard.node');
  report = r;
} else if (load === 'plain') {
  process.dlopen({ exports: {} }, thiefPath);
} else {
  throw new Error(`unknown LOAD ${load}`);
}
process.stdout.write(`READY ${JSON.stringify({ report, ipath: process.env.IPATH_NO_BACKTRACE ?? null })}\n`);

if (act === 'sigterm') {
  setInterval(() => {}, 1 << 30); // stay alive until the signal
} else if (act === 'wasm') {
  // (module (memory 1) (func (export "oob") (result i32) (i32.load (i32.const 65536))))
  // 65536 is one byte past the only page: V8 leaves the check to the guard
  // region, so this is a SIGSEGV that its trap handler turns into a RuntimeError.
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,             // magic, version
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,                   // type: () → i32
    0x03, 0x02, 0x01, 0x00,                                     // function 0 has type 0
    0x05, 0x03, 0x01, 0x00, 0x01,                               // memory: min 1 page
    0x07, 0x07, 0x01, 0x03, 0x6f, 0x6f, 0x62, 0x00, 0x00,       // export "oob" = func 0
    0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0x80, 0x80, 0x04, 0x28, 0x02, 0x00, 0x0b, // i32.const 65536; i32.load; end
  ]);
  const { oob } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as { oob: () => number };
  try {
    oob();
    process.stdout.write('NO TRAP\n');
  } catch (e) {
    process.stdout.write(`TRAP ${(e as Error).name}: ${(e as Error).message} ${e instanceof WebAssembly.RuntimeError}\n`);
  }
} else {
  throw new Error(`unknown ACT ${act}`);
}
