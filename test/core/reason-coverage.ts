// Which reason codes the core tests assert: the `reason:` of every scenario
// step and tree setup step (test/core/scenarios/), and every code written as
// a string literal in test/core/*.test.ts (those files name a code only to
// assert it). A scenario reported skipped asserts nothing; its codes are
// listed apart with its reason.
import { readFileSync, readdirSync } from 'node:fs';
import { loadScenarios, loadTree, type Scenario } from './scenario-load.ts';

const CORE_TEST_DIR = new URL('./', import.meta.url);

export interface Coverage {
  /** code → where it is asserted (scenario names, test files). */
  asserted: Map<string, string[]>;
  /** code → reasons of the skipped scenarios that would assert it. */
  skippedOnly: Map<string, string[]>;
}

function add(map: Map<string, string[]>, code: string, where: string): void {
  const list = map.get(code) ?? [];
  list.push(where);
  map.set(code, list);
}

export function coverage(scenarios: Scenario[] = loadScenarios(), testFiles = coreTestFiles()): Coverage {
  const asserted = new Map<string, string[]>();
  const skipped = new Map<string, string[]>();
  const trees = new Set<string>();
  for (const s of scenarios) {
    for (const step of s.steps) add(s.skip ? skipped : asserted, step.reason, s.skip ? `${s.file}: ${s.name} — ${s.skip}` : `${s.file}: ${s.name}`);
    if (!s.skip && s.tree !== 'none') trees.add(s.tree);
  }
  for (const t of trees) for (const step of loadTree(t).steps) add(asserted, step.reason, `trees/${t}.yaml setup`);
  for (const [file, text] of testFiles) {
    for (const m of text.matchAll(/['"`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['"`]/g)) add(asserted, m[1]!, file);
  }
  const skippedOnly = new Map([...skipped].filter(([code]) => !asserted.has(code)));
  return { asserted, skippedOnly };
}

/** test/core/*.test.ts as [name, source]. */
export function coreTestFiles(): [string, string][] {
  return readdirSync(CORE_TEST_DIR).filter((f) => f.endsWith('.test.ts')).sort()
    .map((f) => [`test/core/${f}`, readFileSync(new URL(f, CORE_TEST_DIR), 'utf8')]);
}
