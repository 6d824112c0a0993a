// The systemd unit in the repo: valid for systemd, Type=notify, restarted on
// failure, hardened, and starting the command this repo provides.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { testUnless } from '../helpers/skip.ts';

const UNIT = new URL('../../systemd/hax.service', import.meta.url).pathname;
const text = readFileSync(UNIT, 'utf8');
const setting = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}=`)).map((l) => l.slice(name.length + 1));

test('the unit is Type=notify with a watchdog, restarts on failure and stops with SIGTERM', () => {
  assert.equal(setting('Type'), ['notify']);
  assert.equal(setting('Restart'), ['on-failure']);
  assert.equal(setting('KillSignal'), ['SIGTERM']);
  assert.ok(setting('WatchdogSec').length === 1);
  assert.match(setting('ExecStart')[0], /bin\/hax\.js run \$HAX_ARGS$/);
});

test('the unit carries the hardening options', () => {
  for (const [k, v] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['PrivateTmp', 'yes'], ['ProtectHome', 'yes'], ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6 AF_NETLINK'], ['CapabilityBoundingSet', '']]) {
    assert.equal(setting(k), [v], k);
  }
});

const noAnalyze = existsSync('/usr/bin/systemd-analyze') ? undefined : '/usr/bin/systemd-analyze is not installed (Debian package systemd)';
testUnless(noAnalyze, 'systemd-analyze verify')('systemd-analyze verify finds nothing wrong with the unit', () => {
  const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
  const complaints = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('hax.service') && !/Cannot add dependency job|not found|No such file/.test(l));
  assert.equal(complaints, [], (r.stderr + r.stdout));
});

test.run();
