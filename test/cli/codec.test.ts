// `hax codec`: decode and encode through the CLI, exit statuses 0/1/2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { vector } from '../core/helpers.ts';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const hax = (args: string[], input?: string | Uint8Array) =>
  spawnSync(process.execPath, [BIN, 'codec', ...args], { input, encoding: 'utf8' });

test('decodes hex to JSON with enum names, text fids and fixture-style u64, and encodes it back', () => {
  const v = vector('msg_07_event_process');
  const d = hax(['decode', '--kind', 'msg', v.hex]);
  assert.is(d.status, 0, d.stderr);
  const o = JSON.parse(d.stdout);
  assert.is(o.type, 'EVENT_PROCESS');
  assert.is(o.body.chp_event, 'M0_CONF_HA_PROCESS_STARTED');
  assert.is(o.time, '0x17b2c3d4e5f60718');
  assert.is(o.body.chp_pid, 12345);
  const e = hax(['encode', '--kind', 'msg', '-'], d.stdout);
  assert.is(e.status, 0, e.stderr);
  assert.is(e.stdout.trim(), v.hex);
});

test('decodes binary from stdin', () => {
  const v = vector('link_msg_rep_enolink');
  const d = hax(['decode', '--kind', 'link-rep', '-'], v.bytes);
  assert.is(d.status, 0, d.stderr);
  assert.is(JSON.parse(d.stdout).lmr_rc, -67);
});

test('reports bad data on one line with the code and byte offset, exit 1', () => {
  const v = vector('msg_07_event_process');
  const d = hax(['decode', '--kind', 'msg', v.hex.slice(0, -2)]);
  assert.is(d.status, 1);
  assert.match(d.stderr, /^hax codec decode: HAX_ERR_XCODE_TRUNCATED at input byte 96: .*\n$/);
  assert.is(hax(['decode', '--kind', 'msg', 'zz']).status, 1);
});

test('refuses a bad kind or a missing action with exit 2', () => {
  const bad = hax(['decode', '--kind', 'nope', '00']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, 'HAX_ERR_BAD_VALUE');
  assert.is(hax(['frobnicate']).status, 2);
  assert.is(hax(['decode', '00']).status, 2);
});

test.run();
