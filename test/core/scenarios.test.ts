// The core's rules, tested from data: every scenario in test/core/scenarios/
// (format: test/core/scenarios/README.md) is fed to a fresh instance of the
// real WASM core with its conf tree loaded — no Consul, no sockets — and its
// reasons and actions are checked. One test per scenario, named by file and
// scenario, so a failure says which behaviour broke.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Codec } from '../../src/core/codec.ts';
import { loadScenarios, type Scenario } from './scenario-load.ts';
import { runScenario } from './scenario-run.ts';
import { readReasonTable } from './reason-table.ts';

const scenarios = loadScenarios();
const table = readReasonTable();
let codec: Codec;

test.before(async () => { codec = await Codec.load(); });

for (const s of scenarios) {
  if (s.skip) {
    console.log(`skipped (${s.file}: ${s.name}): ${s.skip}`);
    test.skip(`${s.file}: ${s.name}`, () => {});
    continue;
  }
  test(`${s.file}: ${s.name}`, async () => {
    const failure = await runScenario(s, codec, table);
    if (failure) assert.unreachable(failure);
  });
}

// The runner itself must be able to fail: a copy of a passing scenario with
// one expectation changed has to be reported, naming the scenario and step.
test('the runner reports a wrong reason, a wrong action field and a missing action', async () => {
  const base = scenarios.find((s) => s.file === 'entrypoint.yaml' && s.steps.some((st) => st.event === 'entrypoint' && st.reason === 'ENTRYPOINT_ANSWERED' && st.actions));
  assert.ok(base, 'entrypoint.yaml has an ENTRYPOINT_ANSWERED step with actions (the positive control)');
  assert.is(await runScenario(base, codec, table), undefined, 'the unchanged scenario passes');
  const at = base.steps.findIndex((st) => st.reason === 'ENTRYPOINT_ANSWERED' && st.actions);
  const variant = (change: (st: Scenario['steps'][number]) => void): Scenario => {
    const steps = base.steps.map((st) => ({ ...st, actions: st.actions ? structuredClone(st.actions) : undefined }));
    change(steps[at]!);
    return { ...base, steps };
  };
  const wrongReason = await runScenario(variant((st) => { st.reason = 'ENTRYPOINT_DEFERRED'; }), codec, table);
  assert.match(wrongReason ?? '', `entrypoint.yaml › "${base.name}", step ${at + 1}: entrypoint: reason: expected ENTRYPOINT_DEFERRED, got ENTRYPOINT_ANSWERED`);
  const wrongField = await runScenario(variant((st) => { st.actions = [{ 'reply-entrypoint': { quorum: 99 } }]; }), codec, table);
  assert.match(wrongField ?? '', 'actions[0].reply-entrypoint.quorum: expected 99');
  const missing = await runScenario(variant((st) => { st.actions = [...st.actions!, 'acknowledge']; }), codec, table);
  assert.match(missing ?? '', 'actions: expected [reply-entrypoint, acknowledge], got [reply-entrypoint]');
});

test.run();
