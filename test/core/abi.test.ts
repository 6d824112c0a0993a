// The protocol constants have one source (protocol/constants.yaml): the
// files generated from it for the core, the host and the shim are current,
// the source refuses what would make them disagree, every reason code the
// core gives is listed there (and nothing listed is dead), and the built
// module imports nothing but env.abort.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load, stale } from '../../scripts/gen-protocol.mjs';
import { REASON_CODES, HOST_REASON_CODES, OUT_REASON, EV_STATUS_QUERIED } from '../../src/core/abi.ts';
import { compileCore } from '../../src/core/wasm.ts';
import { CoreHost } from '../../src/core/core-host.ts';
import { RecordWriter } from '../../src/core/records.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const SOURCE = readFileSync(join(ROOT, 'protocol/constants.yaml'), 'utf8');

function files(dir: string, ext: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'generated') files(p, ext, out); } else if (ext.test(e.name)) out.push(p);
  }
  return out;
}

test('the generated AssemblyScript, TypeScript and C++ files are what the source gives (npm run gen:protocol)', () => {
  assert.equal(stale(), []);
});

test('the source refuses two records with one tag, naming both', () => {
  const clash = SOURCE.replace('EV_STATUS_QUERIED: { value: 32,', 'EV_STATUS_QUERIED: { value: 14,');
  assert.is.not(clash, SOURCE, 'the test edited the source');
  assert.throws(() => load(clash), /EV_STATUS_QUERIED and EV_PROCESS_KEY share tag 14|EV_PROCESS_KEY and EV_STATUS_QUERIED share tag 14/);
  assert.not.throws(() => load(SOURCE));
});

test('the source refuses a constant without an integer value', () => {
  assert.throws(() => load(SOURCE.replace('KIND_FID_TEXT: { value: 6,', 'KIND_FID_TEXT: { value: six,')), /codec_kinds\.KIND_FID_TEXT: value must be an integer/);
});

test('every reason code the core gives is in the source, and every one listed there is given', () => {
  const given = new Set<string>();
  for (const f of files(join(ROOT, 'assembly'), /\.ts$/)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/reason\('([A-Z][A-Z0-9_]+)'/g)) given.add(m[1]!);
    for (const m of text.matchAll(/new Transition\([^)]*?,\s*'([A-Z_ ]+)'\)/gs)) for (const c of m[1]!.split(/\s+/)) if (c) given.add(c);
  }
  assert.ok(given.size >= 40, `found ${given.size} codes in assembly/`);
  const listed = new Set(Object.keys(REASON_CODES));
  assert.equal([...given].filter((c) => !listed.has(c)).sort(), [], 'given by the core but not in protocol/constants.yaml');
  assert.equal([...listed].filter((c) => !given.has(c)).sort(), [], 'listed but given by no code in assembly/');
});

test('every reason code the host still makes is listed as such and made somewhere in src/', () => {
  const src = files(join(ROOT, 'src'), /\.ts$/).map((f) => readFileSync(f, 'utf8')).join('\n');
  for (const code of Object.keys(HOST_REASON_CODES)) assert.ok(src.includes(`'${code}`) || src.includes(`\`${code}`), code);
});

test('the built core speaks the generated tags: a status query answers with a reason record', async () => {
  const h = await CoreHost.load();
  const d = h.handleRecord(RecordWriter.record(EV_STATUS_QUERIED, () => {}));
  assert.is(d.reason.code, 'STATUS_ANSWERED');
  assert.is(OUT_REASON, 0x100);
});

test('builds modules whose only import is env.abort', async () => {
  for (const debug of [false, true]) {
    const imports = WebAssembly.Module.imports(await compileCore(debug));
    assert.equal(imports.map((i) => `${i.module}.${i.name}`), ['env.abort']);
  }
});

test.run();
