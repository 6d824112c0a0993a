// The bad-input corpus of the HTTP contract test: one row per refusal, with
// the status and error code docs/errors.md promises for it.
export interface Case { name: string; method: string; path: string; headers?: Record<string, string>; body?: string; status: number; code: string }

const JSON_TYPE = { 'Content-Type': 'application/json' };
const POST_ROUTES = ['/', '/watcher/bq', '/watcher/processes'];

const invalidJson = ['{', '[', 'nul', '"unterminated', '{"a":}', '[1,]', 'undefined', '}{', 'tru', "{'single':1}", '[{"ID": 01}]', 'NaN'];

const wrongShapes: Record<string, string[]> = {
  '/': [
    '42', '"text"', '{"Service":{"ID":"1"},"Checks":[]}', '[1,2,3]', '[{"Service":{"ID":"1"}}]', '[{"Checks":[]}]',
    '[{"Service":{"ID":"1"},"Checks":[{"Status":"great"}]}]', '[{"Service":{"ID":"1"},"Checks":"passing"}]',
    '[{"Service":{"ID":7},"Checks":[]}]', '[{"Service":{"ID":"1"},"Checks":[{"Status":"passing","ServiceID":5}]}]',
    '[{"Service":{"ID":"1"},"Checks":[{}]}]', '[null]', 'true',
  ],
  '/watcher/bq': [
    '42', '{"Key":"bq/1"}', '[1]', '[{"Value":"eA=="}]', '[{"Key":5}]', '[{"Key":"bq/1","ModifyIndex":"7"}]',
    '[{"Key":"bq/1","Value":12}]', '"bq"', '[[]]', 'false',
  ],
  '/watcher/processes': [
    '[]', '[{"Key":"processes/x"}]', '42', '{"Value":"eA=="}', '{"Key":null}', '{"Key":"p","Flags":"x"}', '"processes/x"', 'true',
  ],
};

export function badRequestCorpus(bodyLimit: number): Case[] {
  const cases: Case[] = [];
  for (const path of POST_ROUTES) {
    for (const body of invalidJson) cases.push({ name: `invalid JSON ${JSON.stringify(body)} to ${path}`, method: 'POST', path, headers: JSON_TYPE, body, status: 400, code: 'HAX_ERR_BAD_JSON' });
    cases.push({ name: `empty body to ${path}`, method: 'POST', path, headers: JSON_TYPE, body: '', status: 400, code: 'HAX_ERR_BAD_JSON' });
    for (const body of wrongShapes[path]) cases.push({ name: `wrong shape ${body} to ${path}`, method: 'POST', path, headers: JSON_TYPE, body, status: 400, code: 'HAX_ERR_BAD_SHAPE' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      cases.push({ name: `${type} to ${path}`, method: 'POST', path, headers: { 'Content-Type': type }, body: '[]', status: 415, code: 'HAX_ERR_CONTENT_TYPE' });
    }
    cases.push({ name: `no content type to ${path}`, method: 'POST', path, body: '[]', status: 415, code: 'HAX_ERR_CONTENT_TYPE' });
    cases.push({ name: `huge body to ${path}`, method: 'POST', path, headers: JSON_TYPE, body: '[' + '"x",'.repeat(Math.ceil(bodyLimit / 4)) + '"x"]', status: 413, code: 'HAX_ERR_BODY_TOO_LARGE' });
  }
  const routes = ['/', '/watcher/bq', '/watcher/processes', '/openapi.yaml', '/api/v1/links', '/api/v1/states', '/metrics', '/v1/cluster/status'];
  for (const path of routes) {
    for (const method of ['PUT', 'DELETE', 'PATCH']) cases.push({ name: `${method} ${path}`, method, path, status: 405, code: 'HAX_ERR_METHOD' });
  }
  for (const path of ['/nope', '/watcher', '/watcher/eq', '/api/v1/sns/repair-start', '/api/v2/links', '/index.html']) {
    cases.push({ name: `unknown path ${path}`, method: 'GET', path, status: 404, code: 'HAX_ERR_NOT_FOUND' });
  }
  for (const q of ['', '?fid=', '?fid=nonsense', '?fid=0x72:', '?fid=0x7200000000000001:0x1,zz', '?fid=1:2:3', `?fid=${'1:1,'.repeat(1100)}`]) {
    cases.push({ name: `states query "${q.slice(0, 40)}"`, method: 'GET', path: `/api/v1/states${q}`, status: 400, code: 'HAX_ERR_BAD_QUERY' });
  }
  cases.push({ name: 'a write through the Consul proxy', method: 'PUT', path: '/v1/kv/leader', body: 'x', status: 405, code: 'HAX_ERR_METHOD' });
  cases.push({ name: 'the agent API through the proxy', method: 'GET', path: '/v1/agent/self', status: 404, code: 'HAX_ERR_NOT_FOUND' });
  cases.push({ name: 'ACL tokens through the proxy', method: 'GET', path: '/v1/acl/tokens', status: 404, code: 'HAX_ERR_NOT_FOUND' });
  cases.push({ name: 'a token parameter through the proxy', method: 'GET', path: '/v1/kv/leader?token=secret', status: 400, code: 'HAX_ERR_BAD_QUERY' });
  cases.push({ name: 'a txn through the proxy', method: 'PUT', path: '/v1/txn', body: '[]', status: 404, code: 'HAX_ERR_NOT_FOUND' });
  return cases;
}
