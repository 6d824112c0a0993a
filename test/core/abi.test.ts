// The host's mirror of the ABI (src/core/abi.ts) agrees with the core's
// (assembly/abi.ts, assembly/codec/errors.ts), and the built module imports
// nothing but env.abort.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import * as abi from '../../src/core/abi.ts';
import { compileCore } from '../../src/core/wasm.ts';

const root = new URL('../../', import.meta.url);
const source = (p: string): string => readFileSync(new URL(p, root), 'utf8');

test('mirrors every record tag and codec kind of assembly/abi.ts', () => {
  const consts = [...source('assembly/abi.ts').matchAll(/export const ((?:EV|OUT|ACT|KIND)_[A-Z_]+): u\d+ = (0x[0-9a-f]+|\d+);/g)];
  assert.ok(consts.length >= 16, `found ${consts.length} constants`);
  for (const [, name, value] of consts) {
    if (name === 'EV_COUNT') continue;
    assert.is((abi as Record<string, unknown>)[name!], Number(value), name);
  }
});

test('mirrors the codec error names of assembly/codec/errors.ts', () => {
  const m = /CODEC_ERROR_NAMES: Array<string> = \[([^\]]+)\]/.exec(source('assembly/codec/errors.ts'));
  const names = [...m![1]!.matchAll(/'([A-Z_]+)'/g)].map((x) => x[1]);
  assert.equal(names, [...abi.CODEC_ERROR_NAMES]);
});

test('builds modules whose only import is env.abort', async () => {
  for (const debug of [false, true]) {
    const imports = WebAssembly.Module.imports(await compileCore(debug));
    assert.equal(imports.map((i) => `${i.module}.${i.name}`), ['env.abort']);
  }
});

test.run();
