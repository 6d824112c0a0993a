// The configuration file of `hax run` (src/config/config-file.ts): its place
// in the chain flags > environment > file > defaults, the refusals (unknown
// key, bad value, bad file), and `hax config check` as an operator runs it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { RUN_FLAGS, runOptions, type RunOptions } from '../../src/cli/run.ts';
import { ENV_OF_KEY, fileKeys } from '../../src/config/config-file.ts';
import { HaxError } from '../../src/errors.ts';
import { runHax, HAX_BIN } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'hax-config-'));
let n = 0;
const file = (text: string): string => { const p = join(dir, `c${n++}.yaml`); writeFileSync(p, text); return p; };
const options = (argv: string[], env: NodeJS.ProcessEnv = {}): RunOptions => {
  const o = runOptions(argv, env);
  if (o === 'help') throw new Error('help');
  return o;
};
const refusal = (fn: () => unknown): HaxError => {
  try { fn(); } catch (error) { if (error instanceof HaxError) return error; throw error; }
  throw new Error('expected a refusal');
};

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a file sets what no flag and no environment variable sets, and the defaults fill the rest', () => {
  const f = file('consul: http://10.0.0.5:8500\nlisten:\n  - tcp:127.0.0.1:23001\n  - unix:/run/hax/ha.sock\nlog-level: warn\nstop-timeout: 7\ntoken-on-reads: false\n');
  const o = options(['--config', f]);
  assert.is(o.config.consulUrl, 'http://10.0.0.5:8500');
  assert.equal(o.config.listen, ['tcp:127.0.0.1:23001', 'unix:/run/hax/ha.sock']);
  assert.is(o.logLevel, 'warn');
  assert.is(o.stopTimeoutMs, 7000);
  assert.is(o.config.http.port, 8008, 'default where the file says nothing');
  assert.is(o.configFile, f);
});

test('a flag wins over the file, for single and repeatable settings', () => {
  const f = file('consul: http://10.0.0.5:8500\nlisten: [tcp:127.0.0.1:23001, tcp:127.0.0.1:23002]\nstop-timeout: 7\n');
  const o = options(['--config', f, '--consul', 'http://10.0.0.6:8500', '--listen=tcp:127.0.0.1:24001', '--stop-timeout', '9']);
  assert.is(o.config.consulUrl, 'http://10.0.0.6:8500');
  assert.equal(o.config.listen, ['tcp:127.0.0.1:24001'], 'the flag replaces the file\'s list, not adds to it');
  assert.is(o.stopTimeoutMs, 9000);
});

test('every environment variable hax run reads wins over the file\'s key', () => {
  const fileValue: Record<string, [string, string, (o: RunOptions) => unknown, unknown]> = {
    consul: ['http://10.0.0.5:8500', 'http://10.0.0.9:8500', (o) => o.config.consulUrl, 'http://10.0.0.9:8500'],
    listen: ['tcp:127.0.0.1:23001', 'tcp:127.0.0.1:25001', (o) => o.config.listen, ['tcp:127.0.0.1:25001']],
    http: ['127.0.0.1:9001', '127.0.0.1:9002', (o) => o.config.http.port, 9002],
    'token-file': [join(dir, 'no-such-token'), 'a-token-from-env', (o) => o.config.http.token, 'a-token-from-env'],
    'log-level': ['warn', 'debug', (o) => o.logLevel, 'debug'],
    backend: ['motr', 'socket', (o) => o.config.backend, 'socket'],
    node: ['node-from-file', 'node-from-env', (o) => o.config.node, 'node-from-env'],
  };
  assert.equal(Object.keys(ENV_OF_KEY).sort(), Object.keys(fileValue).sort(), 'each environment variable is covered here');
  for (const [key, [inFile, inEnv, read, expected]] of Object.entries(fileValue)) {
    const f = file(`${key}: ${inFile}\n`);
    assert.equal(read(options(['--config', f], { [ENV_OF_KEY[key]!]: inEnv })), expected, key);
  }
});

test('HAX_CONFIG names the file when --config does not', () => {
  const f = file('log-level: error\n');
  assert.is(options([], { HAX_CONFIG: f }).logLevel, 'error');
  assert.is(options([], {}).logLevel, 'info', 'and without either, no file is read');
});

test('an unknown key is refused with HAX_ERR_CONFIG_UNKNOWN_KEY naming the key, even one that looks like an object property', () => {
  for (const key of ['listne', '__proto__', 'help', 'config', 'constructor']) {
    const e = refusal(() => runOptions(['--config', file(`consul: http://127.0.0.1:8500\n${key}: x\n`)], {}));
    assert.is(e.code, 'HAX_ERR_CONFIG_UNKNOWN_KEY', key);
    assert.ok(e.message.includes(`unknown key "${key}"`), e.message);
  }
});

test('a bad value is refused with HAX_ERR_BAD_VALUE naming the file and the key', () => {
  const f = file('log-level: verbose\n');
  const e = refusal(() => runOptions(['--config', f], {}));
  assert.is(e.code, 'HAX_ERR_BAD_VALUE');
  assert.ok(e.message.startsWith(`config file "${f}", key log-level: --log-level "verbose"`), e.message);
  for (const [text, why] of [['listen: {a: 1}\n', 'a mapping'], ['token-on-reads: yes please\n', 'true or false'], ['consul:\n', 'an empty value'], ['consul: [a, b]\n', 'a single value']]) {
    const bad = refusal(() => runOptions(['--config', file(text)], {}));
    assert.is(bad.code, 'HAX_ERR_BAD_VALUE', text);
    assert.ok(bad.message.includes(why), `${text}: ${bad.message}`);
  }
});

test('a file that is missing, not YAML, not a mapping or repeats a key is refused with HAX_ERR_CONFIG_FILE', () => {
  for (const [path, why] of [[join(dir, 'absent.yaml'), 'cannot be read: ENOENT'], [file('consul: [\n'), 'is not valid YAML'], [file('- a\n- b\n'), 'must be a mapping'], [file('node: a\nnode: b\n'), 'is not valid YAML'], [dir, 'is not a regular file']]) {
    const e = refusal(() => runOptions(['--config', path], {}));
    assert.is(e.code, 'HAX_ERR_CONFIG_FILE', path);
    assert.ok(e.message.includes(why), `${path}: ${e.message}`);
  }
});

test('--config is refused without a value or when given twice', () => {
  assert.is(refusal(() => runOptions(['--config'], {})).code, 'HAX_ERR_USAGE');
  const f = file('');
  assert.is(refusal(() => runOptions(['--config', f, '--config', f], {})).code, 'HAX_ERR_USAGE');
});

test('a file may set every flag of hax run but config and help', () => {
  assert.equal(fileKeys(RUN_FLAGS).sort(), Object.keys(RUN_FLAGS).filter((k) => k !== 'config' && k !== 'help').sort());
  assert.ok(fileKeys(RUN_FLAGS).includes('ha-limit'));
});

test('the package\'s /etc/hax/hax.yaml is valid as shipped, and the defaults its comments show are the real ones', () => {
  const shipped = readFileSync(new URL('../../packaging/debian/hax.yaml', import.meta.url), 'utf8');
  const defaults = options([]);
  assert.equal({ ...options(['--config', file(shipped)]), configFile: undefined }, defaults);
  // every commented setting, uncommented; token-file and node show examples, not defaults
  const uncommented = shipped.split('\n').map((l) => l.replace(/^#(?=[a-z-]+:|  - )/, '')).filter((l) => !/^(token-file|node):/.test(l)).join('\n');
  const keys = [...uncommented.matchAll(/^([a-z-]+):/gm)].map((m) => m[1]);
  assert.ok(keys.length >= 6, `settings shown: ${keys.join(', ')}`);
  assert.equal({ ...options(['--config', file(uncommented)]), configFile: undefined }, defaults);
});

test('hax config check says a good file is good (exit 0) and names what it sets', async () => {
  const f = file('consul: http://127.0.0.1:8500\nlisten: [tcp:127.0.0.1:22001]\n');
  const r = await runHax('config', 'check', f);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /is good; it sets consul, listen/);
});

test('hax config check refuses a bad file with exit status 2 and one coded line, ignoring the environment', async () => {
  const unknown = await runHax('config', 'check', file('lisen: tcp:127.0.0.1:1\n'));
  assert.is(unknown.status, 2);
  assert.match(unknown.stderr, /^hax config: config file ".*": unknown key "lisen"; .* \[HAX_ERR_CONFIG_UNKNOWN_KEY\]\n$/);
  // the environment would make this file valid for hax run; check takes the file alone
  const badLevel = file('log-level: loud\n');
  const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [HAX_BIN, 'config', 'check', badLevel], { env: { ...process.env, HAX_LOG_LEVEL: 'info' } });
    let stderr = '';
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('close', (status) => resolve({ status, stderr }));
  });
  assert.is(r.status, 2);
  assert.match(r.stderr, /key log-level: --log-level "loud" must be one of .* \[HAX_ERR_BAD_VALUE\]/);
  const usage = await runHax('config', 'check');
  assert.is(usage.status, 2);
  assert.match(usage.stderr, /\[HAX_ERR_USAGE\]/);
});

test('hax run refuses a bad configuration file before starting anything (exit status 2)', async () => {
  const r = await runHax('run', '--config', file('consul: http://127.0.0.1:8500\nhttp-port: 9\n'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /unknown key "http-port".*\[HAX_ERR_CONFIG_UNKNOWN_KEY\]/);
  assert.is(r.stdout, '', 'not even the start-up log line');
});

test.run();
