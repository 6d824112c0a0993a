// Runs one scenario against a fresh WASM core: the tree's setup events, then
// the scenario's steps, each checked for its reason code, reason text and
// actions. Returns the first failure as a message naming the scenario and
// the step, or undefined. HAX_SCENARIO_PRINT=1 prints every decision (what
// the core did, in the files' own notation) to help write a new scenario.
import type { Codec } from '../../src/core/codec.ts';
import { ScenarioCore } from './scenario-drive.ts';
import { loadTree, EVENT_ROW, type Scenario, type Step } from './scenario-load.ts';
import { matchActions, show } from './scenario-match.ts';
import type { ReasonTable } from './reason-table.ts';

const PRINT = process.env.HAX_SCENARIO_PRINT === '1';

function check(sc: ScenarioCore, step: Step, table: ReasonTable, print = false): string | undefined {
  for (let run = 1; run <= step.repeat; run++) {
    const d = sc.feed(step.event, step.input);
    const got = sc.describe(d);
    if (print && run === step.repeat) {
      console.log(`  step ${step.index} ${step.event}: ${got.reason} — ${got.text}`);
      for (const a of got.actions) console.log(`    - ${JSON.stringify(a)}`);
    }
    const again = step.repeat > 1 ? ` (run ${run} of ${step.repeat})` : '';
    const row = table.get(EVENT_ROW[step.event]);
    if (!row) return `${step.event}: the transition table has no row ${EVENT_ROW[step.event]}`;
    if (!row.includes(got.reason)) return `${step.event}${again}: reason ${got.reason} is not one the table lists for ${EVENT_ROW[step.event]} (${row.join(' ')}) — ${got.text}`;
    for (const a of d.actions) {
      if (a.kind !== 'bq-result') continue;
      const odd = a.outcomes.find((o) => !row.includes(o.code));
      if (odd) return `${step.event}${again}: bq/${odd.epoch}'s outcome ${odd.code} is not one the table lists for ${EVENT_ROW[step.event]} (${row.join(' ')}) — ${odd.text}`;
    }
    if (got.reason !== step.reason) return `${step.event}${again}: reason: expected ${step.reason}, got ${got.reason} — ${got.text}; actions ${show(got.actions)}`;
    for (const t of step.text) if (!got.text.includes(t)) return `${step.event}${again}: the reason text does not contain "${t}": ${got.text}`;
    const bad = sc.checkBroadcasts(d);
    if (bad) return `${step.event}${again}: ${bad}`;
    if (step.actions) {
      const diff = matchActions(step.actions, got.actions);
      if (diff) return `${step.event}${again}: ${diff}\n      all actions: ${show(got.actions)}`;
    }
  }
  return undefined;
}

export async function runScenario(s: Scenario, codec: Codec, table: ReasonTable): Promise<string | undefined> {
  const sc = await ScenarioCore.fresh(codec);
  const setup = s.tree === 'none' ? [] : loadTree(s.tree).steps;
  for (const step of setup) {
    const e = check(sc, step, table);
    if (e) return `${s.file} › "${s.name}": loading tree ${s.tree}, setup step ${step.index}: ${e}`;
  }
  if (PRINT) console.log(`\n── ${s.file} › ${s.name}`);
  for (const step of s.steps) {
    const e = check(sc, step, table, PRINT);
    if (e) return `${s.file} › "${s.name}", step ${step.index}: ${e}`;
  }
  return undefined;
}
