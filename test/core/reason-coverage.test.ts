// Every reason code of the core's transition table is asserted by some core
// test (a scenario or test/core/*.test.ts), and every code in the table is
// one the core's source can give. One test per code, so the summary names
// the codes no test asserts. A code asserted only by a scenario reported
// skipped (a known defect) is reported skipped here too, with that reason.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readReasonTable, allReasonCodes } from './reason-table.ts';
import { coverage } from './reason-coverage.ts';
import { loadScenarios } from './scenario-load.ts';

const table = readReasonTable();
const codes = allReasonCodes(table);
const cov = coverage();
const rowOf = (code: string) => [...table].find(([, list]) => list.includes(code))?.[0];

test('the transition table is read: one row per event, each with its codes', () => {
  assert.ok(table.size >= 14, `${table.size} rows read from assembly/machine/core.ts`);
  assert.ok(codes.length >= table.size, `${codes.length} codes`);
  for (const [row, list] of table) assert.ok(list.length > 0, `row ${row} lists no code`);
});

for (const code of codes) {
  const skippedBecause = cov.skippedOnly.get(code);
  if (skippedBecause) {
    console.log(`skipped (reason code ${code}): only a skipped scenario asserts it: ${skippedBecause.join('; ')}`);
    test.skip(`reason code ${code} is asserted by a core test`, () => {});
    continue;
  }
  test(`reason code ${code} (${rowOf(code)}) is asserted by a core test`, () => {
    assert.ok(cov.asserted.has(code), `no scenario in test/core/scenarios/ and no test/core/*.test.ts asserts ${code} (row ${rowOf(code)} of assembly/machine/core.ts): write a scenario that produces it, or delete the code if nothing can`);
  });
}

// A code in the table that no line of assembly/ besides the table writes is
// dead: nothing can give it.
test('every code of the table is written somewhere in assembly/ besides the table', () => {
  const root = fileURLToPath(new URL('../../assembly/', import.meta.url));
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !path.endsWith(join('machine', 'core.ts'))) sources.push(readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  const core = readFileSync(join(root, 'machine', 'core.ts'), 'utf8');
  const handlers = core.slice(core.indexOf('// ---- handlers'));
  const text = sources.join('\n') + handlers;
  const dead = codes.filter((c) => !text.includes(`'${c}'`));
  assert.equal(dead, [], `codes in the table that no handler gives: ${dead.join(', ')}`);
});

// The check itself must be able to fail: a table code no test names is reported.
test('a code that no test asserts is found uncovered (positive control)', () => {
  const fake = coverage(loadScenarios(['quorum.yaml']), [['fake.test.ts', "assert.is(d.reason.code, 'ENTRYPOINT_STOPPING')"]]);
  assert.ok(fake.asserted.has('ENTRYPOINT_ANSWERED'), 'quorum.yaml asserts ENTRYPOINT_ANSWERED');
  assert.ok(fake.asserted.has('ENTRYPOINT_STOPPING'), 'a literal in a test file counts');
  assert.ok(fake.asserted.has('CONF_LOADED'), 'the tree setup counts');
  assert.not.ok(fake.asserted.has('BQ_UNSUPPORTED'), 'a code neither names is not covered');
});

test.run();
