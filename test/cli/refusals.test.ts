// The command line refuses unknown flags and bad values with one clear line
// on stderr and exit status 2, before anything starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/hax.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hax-refusals-'));
const EMPTY = join(dir, 'empty-token');
writeFileSync(EMPTY, '\n');
const hax = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

const cases: [string, string[], RegExp][] = [
  ['an unknown command', ['frobnicate'], /^hax: unknown command "frobnicate"; .*\[HAX_ERR_USAGE\]\n$/],
  ['no command', [], /^hax: no command given; .*\[HAX_ERR_USAGE\]\n$/],
  ['an unknown flag', ['run', '--bogus'], /^hax run: unknown option "--bogus"; see 'hax run --help' \[HAX_ERR_USAGE\]\n$/],
  ['a listener that is neither tcp nor unix', ['run', '--listen', 'udp:1.2.3.4:5'], /--listen "udp:1.2.3.4:5" is neither tcp:HOST:PORT nor unix/],
  ['a tcp listener without a port', ['run', '--listen', 'tcp:127.0.0.1'], /--listen "127.0.0.1" is not HOST:PORT/],
  ['a relative unix path', ['run', '--listen', 'unix:rel/sock'], /neither tcp:HOST:PORT nor unix:\/absolute\/path/],
  ['an HTTP port out of range', ['run', '--http', '127.0.0.1:70000'], /--http "127.0.0.1:70000" is not HOST:PORT/],
  ['a Consul URL with a path', ['run', '--consul', 'http://127.0.0.1:8500/v1'], /must be http\(s\):\/\/HOST:PORT with no path/],
  ['a Consul URL of another scheme', ['run', '--consul', 'ftp://x:1'], /must be http\(s\):\/\/HOST:PORT/],
  ['a flag without its value', ['run', '--http'], /--http needs a value/],
  ['a negative number after a flag', ['demo', '--for', '-1'], /--for needs a value, and the next argument, "-1", begins with '-' and is taken for a flag; if it is the value, write "--for=-1"/],
  ['a stray positional argument', ['run', 'extra'], /unexpected argument "extra"/],
  ['a demo duration that is not a number', ['demo', '--for', 'soon'], /--for "soon" must be a whole number/],
  ['a log level that does not exist', ['run', '--log-level', 'loud'], /--log-level "loud" must be one of debug, info, warn, error/],
  ['a check TTL too short to pass in time', ['run', '--check-ttl', '2'], /--check-ttl 2 is too short: hax passes its check every third of the TTL; give 3 s or more \[HAX_ERR_BAD_VALUE\]/],
  ['a link stall of zero', ['run', '--link-stall', '0'], /--link-stall "0" must be a whole number from 1 to 3600/],
  ['a check TTL that is not a number', ['run', '--check-ttl', '10s'], /--check-ttl "10s" must be a whole number from 1 to 3600/],
  ['a stop timeout of zero', ['run', '--stop-timeout', '0'], /--stop-timeout "0" must be a whole number from 1/],
  ['an empty token file', ['run', '--token-file', EMPTY], /--token-file ".*empty-token" is empty/],
  ['a token file that is a device', ['run', '--token-file', '/dev/zero'], /--token-file "\/dev\/zero" is not a regular file \(a character device\)/],
  ['an unknown flag to status', ['status', '--everything'], /unknown option "--everything"/],
  ['a process fid of another type', ['run', '--process-fid', '0x7300000000000001:0x1'], /--process-fid "0x7300000000000001:0x1" is not a process fid/],
  ['a node name with a slash', ['run', '--node', 'a/b'], /--node "a\/b" is not a node name/],
  ['a status address without a port', ['status', '--http', 'localhost'], /--http "localhost" is not HOST:PORT/],
  ['an unknown flag to consul-config', ['consul-config', '--watch-everything'], /unknown option/],
  ['a value with a newline', ['status', '--http', 'a\nb:1'], /^hax status: --http "a\\nb:1" is not HOST:PORT \(e\.g\. 127\.0\.0\.1:8008\) \[HAX_ERR_BAD_VALUE\]\n$/],
];

for (const [what, args, message] of cases) {
  test(`refuses ${what} with exit status 2`, () => {
    const r = hax(...args);
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.is(r.stdout, '', 'nothing started, nothing logged');
  });
}

test('prints help for each command and exits 0', () => {
  for (const args of [['help'], ['run', '--help'], ['demo', '--help'], ['status', '--help'], ['consul-config', '--help'], ['codec', '--help'], ['sim', '--help'], ['bootstrap', '--help']]) {
    const r = hax(...args);
    assert.is(r.status, 0, args.join(' '));
    assert.match(r.stdout, /Usage: hax/);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
