// The body worker's element-at-a-time decoding of large arrays
// (src/http/body-elements.ts) against decoding the whole body: for every
// body it either gives the same projected value, or declines (undefined) so
// the whole-body path answers — never a different answer. A valid payload
// must take the element path (the positive control: declining everything
// would also "agree").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { loadOpenApi } from '../../src/http/openapi.ts';
import { decodeArrayInParts, topLevelSpans } from '../../src/http/body-elements.ts';
import { parseScanned, scanJson, type BodyRoute } from '../../src/http/body-json.ts';

const ops = loadOpenApi().operations;
const route = (operationId: string): BodyRoute => {
  const op = ops.find((o) => o.operationId === operationId)!;
  return { validateBody: op.validateBody!, projectBody: op.projectBody, bodyRequired: op.bodyRequired, maxTopItems: op.maxTopItems, validateItem: op.validateItem, projectItem: op.projectItem };
};
const bounds = { maxDepth: 64, maxValues: 1_000_000 };
const health = route('postServiceHealth');
const bq = route('postBroadcastQueue');

/** Whole-body decoding (steps 3–4) of `text`: the reference. */
function whole(text: string, r: BodyRoute) {
  const scan = scanJson(text, bounds);
  return scan.refusal ?? parseScanned(text, scan, r, bounds);
}
/** Element-wise decoding, joined back into one value; undefined when it declines. */
function elementWise(text: string, r: BodyRoute): unknown[] | undefined {
  const scan = scanJson(text, bounds);
  if (scan.refusal) return undefined;
  const parts = decodeArrayInParts(text, scan, r, 256);
  return parts?.flatMap((p) => JSON.parse(p) as unknown[]);
}

const fixture = JSON.parse(readFileSync('/work/shared/fixtures/consul-watch/014-watch_service_web.json', 'utf8')) as { bodyParsed: unknown[] };
const realPayload = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ ...(fixture.bodyParsed[0] as object), Service: { ...(fixture.bodyParsed[0] as { Service: object }).Service, ID: String(i) } })));

test('a real Consul health payload takes the element path and gives the whole-body value', () => {
  const got = elementWise(realPayload, health);
  assert.ok(got, 'the element path declined a valid payload');
  const ref = whole(realPayload, health);
  assert.ok(ref.ok);
  assert.equal(got, (ref as { value: unknown }).value);
  assert.is(got!.length, 50);
});

test('spans: whitespace, strings holding brackets and commas, empty arrays', () => {
  assert.equal(topLevelSpans(' [ ] '), []);
  assert.equal(topLevelSpans('[1, "a,]\\"[", {"k":[2,3]}]'), [1, 2, 3, 12, 13, 25]);
  for (const bad of ['', '{}', '[1', '[1]]', '[1] x', '[1}', '"[1]"']) assert.is(topLevelSpans(bad), undefined, bad);
});

const declined: [string, string, BodyRoute][] = [
  ['trailing comma', '[{"Key":"bq/1"},]', bq],
  ['leading comma', '[,{"Key":"bq/1"}]', bq],
  ['repeated key in an element', '[{"Key":"bq/1","Key":"bq/2"}]', bq],
  ['an element the schema refuses', '[{"Key":"bq/1"},{"Key":5}]', bq],
  ['a syntax error inside an element', '[{"Key":"bq/1"},{"Key":}]', bq],
  ['null element', `[${realPayload.slice(1, -1)},null]`, health],
];
for (const [name, text, r] of declined) {
  test(`declines, and the whole body is refused: ${name}`, () => {
    assert.is(elementWise(text, r), undefined);
    assert.is(whole(text, r).ok, false);
  });
}

test('projection drops what the schema does not declare, element by element as whole', () => {
  const text = '[{"Key":"bq/7","Value":"eA==","ModifyIndex":9,"Extra":{"a":1}}]';
  const got = elementWise(text, bq)!;
  assert.ok(got);
  assert.equal(got, (whole(text, bq) as { value: unknown }).value);
  assert.not.ok('Extra' in (got[0] as object));
});

test.run();
