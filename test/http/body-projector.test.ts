// The one-pass body reader (src/http/body-projector.ts) against the usual
// decoding (scan, JSON.parse, repeated keys, schema, projection): for every
// body it either gives the same projected value, or declines (undefined) so
// the usual path answers — never a different answer. Valid payloads must take
// the one-pass path (the positive control: declining everything would also
// "agree"), and every body the usual path refuses must be declined.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { loadOpenApi, type Operation } from '../../src/http/openapi.ts';
import { parseScanned, scanJson, type BodyRoute } from '../../src/http/body-json.ts';
import { compilePlan, projectBody, MAX_WIDTH } from '../../src/http/body-projector.ts';
import { alternatingBodies } from '../../bench/http/payload.ts';
import { FIXTURES_DIR } from '../helpers/fixtures.ts';

const ops = loadOpenApi().operations;
const op = (id: string): Operation => ops.find((o) => o.operationId === id)!;
const bounds = { maxDepth: 64, maxValues: 100_000 };
const routeOf = (o: Operation): BodyRoute => ({ validateBody: o.validateBody!, projectBody: o.projectBody, bodyRequired: o.bodyRequired, maxTopItems: o.maxTopItems });

/** The usual path's verdict on `text` (the reference). */
function usual(text: string, o: Operation) {
  const scan = scanJson(text, bounds);
  return scan.refusal ?? parseScanned(text, scan, routeOf(o), bounds);
}
/** The one-pass reader on `text` (as bytes and latin1 text, as server.ts calls it). */
function fast(text: string, o: Operation) {
  const bytes = Buffer.from(text, 'latin1');
  return projectBody(bytes, bytes.toString('latin1'), o.projectionPlan!, bounds, o.validateBody!);
}
/** The invariant: same value, or declined; declined whenever the usual path refuses. */
function agrees(text: string, o: Operation): { took: boolean; detail: string } {
  const f = fast(text, o);
  const u = usual(text, o);
  if (!f) return { took: false, detail: '' };
  if (!u.ok) return { took: true, detail: `the usual path refuses (${u.code}: ${u.message}) what the reader accepted: ${text.slice(0, 200)}` };
  if (!isDeepStrictEqual(f.value, u.value)) return { took: true, detail: `different values for ${text.slice(0, 200)}: ${JSON.stringify(f.value).slice(0, 200)} vs ${JSON.stringify(u.value).slice(0, 200)}` };
  return { took: true, detail: '' };
}

const health = op('postServiceHealth');
const bq = op('postBroadcastQueue');
const processes = op('postProcessKey');
const fixture = JSON.parse(readFileSync(`${FIXTURES_DIR}consul-watch/014-watch_service_web.json`, 'utf8')) as { bodyParsed: unknown[] };
const realPayload = JSON.stringify(fixture.bodyParsed, null, 2);

test('every body route has a plan, and valid payloads take the one-pass path with the usual value', () => {
  for (const o of [health, bq, processes]) assert.ok(o.projectionPlan, `${o.operationId} has no plan`);
  const bodies: [string, Operation][] = [
    [realPayload, health], [alternatingBodies(50)[1], health], ['null', health], ['[]', health], [' null\n', bq],
    ['[{"Key":"bq/1","Value":"eyJ4IjoxfQ==","ModifyIndex":9,"Flags":0,"Session":"s"}]', bq],
    ['{"Key":"processes/0x7200000000000001:0x3","Value":null,"CreateIndex":1,"ModifyIndex":2,"LockIndex":0,"Flags":0}', processes],
    ['[{"Service":{"ID":"a\\u0062\\n\\"c"},"Checks":[{"Status":"passing","ServiceID":"x\\/y"}]}]', health],
  ];
  for (const [text, o] of bodies) {
    const r = agrees(text, o);
    assert.ok(r.took, `declined a valid body: ${text.slice(0, 120)}`);
    assert.is(r.detail, '');
  }
});

test('projection keeps only declared properties, in the order they came', () => {
  const f = fast('[{"Extra":[1,{"a":2}],"Checks":[{"Status":"warning","Output":"x","ServiceID":"7"}],"Service":{"ID":"7","Port":1}}]', health);
  assert.equal(f?.value, [{ Checks: [{ Status: 'warning', ServiceID: '7' }], Service: { ID: '7' } }]);
  assert.equal(Object.keys((f!.value as object[])[0]), ['Checks', 'Service']);
});

const entry = '{"Node":{"Node":"n1","Meta":{"k":"v"}},"Service":{"ID":"1"},"Checks":[{"Status":"passing","ServiceID":"1","Definition":{"Interval":"0s"}}]}';
const declined: [string, string, Operation][] = [
  ['a repeated key in an undeclared object', `[${entry.replace('"k":"v"', '"k":"v","k":"w"')}]`, health],
  ['a repeated declared key', `[${entry.replace('"Status":"passing"', '"Status":"passing","Status":"critical"')}]`, health],
  ['a repeated key at the top of an entry', `[${entry.replace('"Service":{"ID":"1"}', '"Service":{"ID":"1"},"Service":{"ID":"2"}')}]`, health],
  ['an escaped key', `[${entry.replace('"Meta"', '"M\\u0065ta"')}]`, health],
  ['a trailing comma', `[${entry},]`, health],
  ['a leading zero', `[${entry.replace('"Meta":{"k":"v"}', '"Meta":{"k":01}')}]`, health],
  ['a bare minus', `[${entry.replace('"Meta":{"k":"v"}', '"Meta":{"k":-}')}]`, health],
  ['a dot without digits', `[${entry.replace('"Meta":{"k":"v"}', '"Meta":{"k":1.}')}]`, health],
  ['an exponent without digits', `[${entry.replace('"Meta":{"k":"v"}', '"Meta":{"k":1e+}')}]`, health],
  ['a misspelt literal', `[${entry.replace('"Meta":{"k":"v"}', '"Meta":{"k":tru}')}]`, health],
  ['a raw newline in a string', `[${entry.replace('"v"', '"a\nb"')}]`, health],
  ['a raw tab in a key', `[${entry.replace('"k"', '"\tk"')}]`, health],
  ['a bad escape', `[${entry.replace('"v"', '"\\x"')}]`, health],
  ['a short \\u escape', `[${entry.replace('"v"', '"\\u12g4"')}]`, health],
  ['an unterminated string', `[${entry.slice(0, 30)}`, health],
  ['text after the value', `[${entry}] x`, health],
  ['two values', `[${entry}][]`, health],
  ['a BOM', `\ufeff[${entry}]`, health],
  ['nesting past the bound', `[${entry.replace('"v"', '['.repeat(70) + ']'.repeat(70))}]`, health],
  ['a declared property of the wrong type', `[${entry.replace('"ID":"1"', '"ID":1')}]`, health],
  ['a check status outside the enum', `[${entry.replace('"passing"', '"fine"')}]`, health],
  ['an entry without Checks', '[{"Service":{"ID":"1"}}]', health],
  ['an object for a string', `[${entry.replace('"ID":"1"', '"ID":{"a":1}')}]`, health],
  ['an array where an object is declared', `[${entry.replace('"Service":{"ID":"1"}', '"Service":[1]')}]`, health],
  ['an object as the body of an array route', '{"Key":"bq/1"}', bq],
  ['the empty body', '', health],
  ['whitespace only', ' \n', health],
  [`an object wider than ${MAX_WIDTH} members`, `[${entry.replace('"k":"v"', Array.from({ length: MAX_WIDTH + 1 }, (_, i) => `"k${i}":1`).join(','))}]`, health],
];
for (const [name, text, o] of declined) {
  test(`declines: ${name}`, () => {
    assert.is(fast(text, o), undefined);
  });
}

test('the declined bodies differ from an accepted one only in what they are named for', () => {
  assert.ok(fast(`[${entry}]`, health), 'the unmutated entry is read');
});

test(`more values than the bound: declined, as the scan refuses them`, () => {
  const text = '[' + Array.from({ length: 1000 }, () => entry).join(',') + ']';
  const tight = { maxDepth: 64, maxValues: 5000 };
  assert.ok(scanJson(text, tight).refusal, 'the scan refuses it');
  const bytes = Buffer.from(text);
  assert.is(projectBody(bytes, text, health.projectionPlan!, tight, health.validateBody!), undefined);
  assert.ok(projectBody(bytes, text, health.projectionPlan!, bounds, health.validateBody!), 'within the default bound it is read');
});

test('mutated payloads: the reader never accepts what the usual path refuses, nor gives another value', () => {
  // a deterministic generator (xorshift), so a failure replays
  let seed = 0x2545f491;
  const rand = (n: number) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
  const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '0', '1', '-', '.', 'e', 'a', 'n', 't', 'u', '\u0001', '"ID"', '"Status"', '"Checks"', 'null', '"x"', '"passing"'];
  const base = [`[${entry},${entry.replace('"1"', '"2"')}]`, realPayload, '[{"Key":"bq/1","Value":"eA==","ModifyIndex":3}]'];
  let took = 0, runs = 0;
  for (let k = 0; k < 4000; k++) {
    const b = base[k % base.length];
    let text = b;
    for (let m = 1 + rand(3); m > 0; m--) {
      const at = rand(text.length + 1);
      const kind = rand(3);
      const piece = alphabet[rand(alphabet.length)];
      text = kind === 0 ? text.slice(0, at) + piece + text.slice(at) : kind === 1 ? text.slice(0, at) + text.slice(at + 1 + rand(4)) : text.slice(0, at) + piece + text.slice(at + piece.length);
    }
    const o = b.includes('"Key"') ? bq : health;
    const r = agrees(text, o);
    runs++;
    if (r.took) took++;
    assert.is(r.detail, '', `mutation ${k}`);
  }
  // the positive control: some mutations stay valid (a changed value, added whitespace) and take the path
  assert.ok(took > runs / 20, `only ${took} of ${runs} mutated bodies took the one-pass path`);
});

test('a schema it does not mirror exactly gets no plan (the route keeps the usual path)', () => {
  const components = { schemas: { E: { type: 'object', properties: { a: { type: 'string' } } } } };
  assert.ok(compilePlan({ $ref: '#/components/schemas/E' }, components));
  for (const schema of [
    { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
    { type: 'object', properties: { a: { type: 'object' } } },
    { allOf: [{ type: 'object' }] },
    { type: 'object', properties: { a: { anyOf: [{ type: 'string' }] } } },
    { type: 'object', properties: { a: { type: 'string' } }, minProperties: 1 },
    { type: 'array', items: { type: 'array', items: { type: 'string' } }, uniqueItems: true },
    { $ref: '#/components/schemas/Missing' },
  ]) assert.is(compilePlan(schema, components), undefined, JSON.stringify(schema));
});

test.run();
