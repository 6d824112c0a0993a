// Every error code the code can produce is documented in docs/errors.md, and
// every documented code still exists in the code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CODEC_ERROR_NAMES } from '../../src/core/abi.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
// A code ends in a letter or digit; 'HAX_ERR_XCODE_' + name codes come from the codec's table.
const CODE = /\bHAX_ERR_[A-Z0-9_]*[A-Z0-9]\b/g;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'generated') sources(p, out); }
    else if (/\.(ts|cc|h|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

const inCode = new Set<string>();
for (const dir of ['src', 'native/src', 'assembly', 'bin']) {
  for (const f of sources(join(ROOT, dir))) for (const m of readFileSync(f, 'utf8').matchAll(CODE)) inCode.add(m[0]);
}
for (const name of CODEC_ERROR_NAMES) if (name !== 'NONE') inCode.add(`HAX_ERR_XCODE_${name}`);
const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
const documented = new Set([...doc.matchAll(/^\|\s*`(HAX_ERR_[A-Z0-9_]+)`/gm)].map((m) => m[1]));

test('every error code in the code has a row in docs/errors.md', () => {
  const missing = [...inCode].filter((c) => !documented.has(c)).sort();
  assert.equal(missing, [], `undocumented codes: ${missing.join(', ')}`);
});

test('every code documented in docs/errors.md still exists in the code', () => {
  const stale = [...documented].filter((c) => !inCode.has(c)).sort();
  assert.equal(stale, [], `documented but unused: ${stale.join(', ')}`);
});

test('the code uses at least the HTTP and Consul error codes', () => {
  for (const c of ['HAX_ERR_BAD_JSON', 'HAX_ERR_CONSUL_UNREACHABLE']) assert.ok(inCode.has(c), c);
});

test.run();
