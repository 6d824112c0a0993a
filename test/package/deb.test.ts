// The Debian package, end to end on this machine: scripts/package.sh builds
// it once; its contents list, control fields and lintian are checked; it is
// really installed with apt, the installed `hax` answers --version, checks
// its shipped configuration, and `hax run` (as the package's user hax)
// serves GET / against a real Consul dev agent; then it is purged, and
// nothing it brought is left but what Debian policy keeps (the system user).
//
// Installing needs root (CI and the dev machines run as root). Otherwise,
// or without dpkg-deb, every test here is reported skipped with the reason.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDevAgent, type DevAgent } from '../../src/consul/dev-agent.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'installing a package needs root (uid 0); this test runs as uid ' + process.getuid?.();
  for (const tool of ['dpkg-deb', 'apt-get', 'dpkg-shlibdeps']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (bash scripts/install.sh installs dpkg-dev)`;
  }
  // "install ok installed" (not "unknown ok not-installed", nor "deinstall ok config-files")
  if (spawnSync('dpkg-query', ['-W', '-f=${Status}', 'hax'], { encoding: 'utf8' }).stdout.trim().split(' ').pop() === 'installed') {
    return 'a hax package is already installed on this machine; this test installs and purges its own (apt purge hax first)';
  }
  return undefined;
}

const sh = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
};

/** Every path under the places a package installs to that names hax, for the before/after comparison. */
function haxPaths(): string[] {
  const r = sh('find', ['/etc', '/usr', '/lib', '/var/lib', '/var/log', '/var/cache/hax', '/run', '/opt', '-xdev', '(', '-path', '/var/lib/dpkg', '-o', '-path', '/var/lib/apt', '-o', '-path', '/var/cache/apt', ')', '-prune', '-o', '-iname', '*hax*', '-print']);
  return r.stdout.split('\n').filter((p) => p !== '' && !/haxe/i.test(p)).sort();
}

const skip = whyNot();
const pkg = suite('the Debian package');
const work = mkdtempSync(join(tmpdir(), 'hax-deb-'));
let deb = '';
let before: string[] = [];
let agent: DevAgent | undefined;
let hax: ChildProcess | undefined;
let installed = false;

pkg.before(() => {
  if (skip) return;
  const r = sh('bash', ['scripts/package.sh', '--out', work]);
  assert.is(r.status, 0, `scripts/package.sh failed:\n${r.out}`);
  deb = join(work, readdirSync(work).find((f) => /^hax_.*_amd64\.deb$/.test(f)) ?? 'missing.deb');
  before = haxPaths();
});

pkg.after(async () => {
  if (hax && hax.exitCode === null) hax.kill('SIGKILL');
  await agent?.stop();
  if (installed) sh('apt-get', ['purge', '-y', 'hax'], { DEBIAN_FRONTEND: 'noninteractive' });
  rmSync(work, { recursive: true, force: true });
});

const it = skip ? pkg.skip : pkg;
if (skip) console.log(`skipped (test/package/deb.test.ts): ${skip}`);
const noLintian = spawnSync('sh', ['-c', 'command -v lintian']).status !== 0 ? 'lintian is not installed (bash scripts/install.sh installs it from Debian)' : undefined;
if (!skip && noLintian) console.log(`skipped (test/package/deb.test.ts, lintian): ${noLintian}`);

it(`is named hax_${VERSION}-<revision>_amd64.deb and says what it needs: Node 20 or newer, never libmotr`, () => {
  assert.match(deb, new RegExp(`/hax_${VERSION.replace(/\./g, '\\.')}-\\d+_amd64\\.deb$`));
  const control = sh('dpkg-deb', ['-f', deb]).stdout;
  assert.match(control, /^Package: hax$/m);
  assert.match(control, /^Depends: .*\bnodejs \(>= 20\)/m);
  assert.match(control, /^Depends: .*\badduser\b/m);
  assert.match(control, /^Depends: .*\blibc6\b/m);
  const depends = control.split('\n').find((l) => l.startsWith('Depends:')) ?? '';
  assert.not.match(depends, /motr/i);
  assert.is(sh('dpkg-deb', ['-I', deb, 'conffiles']).stdout.trim(), '/etc/hax/hax.yaml');
});

it('carries what runs (compiled JavaScript, wasm, shim, openapi, monitor, unit, config, docs) and no TypeScript, tsx or dev module', () => {
  const files = sh('dpkg-deb', ['-c', deb]).stdout.split('\n').map((l) => l.replace(/^.*? \.\//, '/').replace(/ -> .*$/, '')).filter((l) => l.startsWith('/'));
  for (const want of [
    '/usr/bin/hax', '/usr/lib/hax/bin/hax.js', '/usr/lib/hax/bin/require-node.js', '/usr/lib/hax/package.json',
    '/usr/lib/hax/src/cli/main.js', '/usr/lib/hax/src/daemon/hax-daemon.js', '/usr/lib/hax/src/http/body-worker.js',
    '/usr/lib/hax/build/as/release.wasm', '/usr/lib/hax/build/native/Release/shim.node', '/usr/lib/hax/build/native/Release/sigguard.node',
    '/usr/lib/hax/openapi/openapi.yaml', '/usr/lib/hax/web/monitor.html', '/usr/lib/hax/web/app.js',
    '/usr/lib/hax/node_modules/ajv/package.json', '/usr/lib/hax/node_modules/ws/package.json', '/usr/lib/hax/node_modules/yaml/package.json', '/usr/lib/hax/node_modules/http-proxy/package.json',
    '/lib/systemd/system/hax.service', '/usr/lib/tmpfiles.d/hax.conf', '/etc/hax/hax.yaml',
    '/usr/share/doc/hax/copyright', '/usr/share/doc/hax/changelog.Debian.gz', '/usr/share/doc/hax/install.md', '/usr/share/man/man1/hax.1.gz',
  ]) assert.ok(files.includes(want), `missing ${want}`);
  const stray = files.filter((f) => /\.ts$|\/node_modules\/(tsx|typescript|esbuild|assemblyscript|cmake-js|node-addon-api|uvu|playwright-core|openapi-typescript|@types)\/|\/node_modules\/\.bin\/|\/debug\.wasm$|\/sig_thief\.node$/.test(f));
  assert.equal(stray, [], `files that do not run: ${stray.join(', ')}`);
});

(skip || noLintian ? pkg.skip : pkg)('lintian finds no errors in it', () => {
  const r = sh('lintian', ['--fail-on', 'error', deb]);
  const errors = r.out.split('\n').filter((l) => l.startsWith('E:'));
  assert.equal(errors, [], r.out);
  assert.is(r.status, 0, r.out);
});

it('installs with apt: /usr/bin/hax answers --version, the user hax exists, the unit is enabled, the shipped configuration checks, demo asks for a consul', () => {
  const r = sh('apt-get', ['install', '-y', '--no-install-recommends', deb], { DEBIAN_FRONTEND: 'noninteractive' });
  installed = true;
  assert.is(r.status, 0, r.out);
  const v = sh('/usr/bin/hax', ['--version']);
  assert.is(v.status, 0, v.out);
  assert.is(v.stdout.trim(), `hax ${VERSION}`);
  const user = sh('getent', ['passwd', 'hax']).stdout.split(':');
  assert.is(user[0], 'hax');
  assert.ok(Number(user[2]) < 1000, `hax is a system user: uid ${user[2]}`);
  assert.match(user[6] ?? '', /nologin/);
  assert.ok(existsSync('/etc/systemd/system/multi-user.target.wants/hax.service'), 'the unit is enabled');
  assert.ok(existsSync('/run/hax'), 'the runtime directory exists');
  const check = sh('/usr/bin/hax', ['config', 'check', '/etc/hax/hax.yaml']);
  assert.is(check.status, 0, check.out);
  // the package carries no Consul and fetches none: hax demo says what to do
  const demo = spawnSync('/usr/bin/hax', ['demo', '--for', '1'], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
  assert.is(demo.status, 1, demo.stderr);
  assert.match(demo.stderr, /no Consul agent binary: set CONSUL_BIN .*\[HAX_ERR_CONSUL_BINARY\]/);
  const unit = readFileSync('/lib/systemd/system/hax.service', 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/hax run --config \/etc\/hax\/hax\.yaml \$HAX_ARGS$/m);
  assert.match(unit, /^User=hax$/m);
});

it('the installed hax runs as user hax against a Consul dev agent until it answers GET /, and decodes a large body in its worker', async () => {
  assert.ok(installed, 'installed by the test before');
  agent = await startDevAgent();
  const httpPort = await freePort();
  const linkPort = await freePort();
  const user = sh('getent', ['passwd', 'hax']).stdout.split(':');
  const log: string[] = [];
  hax = spawn('/usr/bin/hax', ['run', '--config', '/etc/hax/hax.yaml', '--consul', agent.url, '--listen', `tcp:127.0.0.1:${linkPort}`, '--http', `127.0.0.1:${httpPort}`, '--process-fid', '0x7200000000000001:0x6'], {
    uid: Number(user[2]), gid: Number(user[3]), cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin' },
  });
  hax.stdout!.on('data', (d) => log.push(String(d)));
  hax.stderr!.on('data', (d) => log.push(String(d)));
  const deadline = Date.now() + 30_000;
  let answer: { status: number; body: string } | undefined;
  while (!answer) {
    if (hax.exitCode !== null) assert.unreachable(`hax exited (${hax.exitCode}) before answering:\n${log.join('')}`);
    if (Date.now() > deadline) assert.unreachable(`hax did not answer GET / within 30 s:\n${log.join('')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/`);
      answer = { status: res.status, body: await res.text() };
    } catch { await new Promise((r) => setTimeout(r, 200)); }
  }
  assert.is(answer.status, 200, answer.body);
  assert.match(log.join(''), /"configFile":"\/etc\/hax\/hax\.yaml"/);
  // a body above the inline limit is decoded in the body worker thread, which
  // the package must start from its compiled file (there is no tsx there)
  const big = await fetch(`http://127.0.0.1:${httpPort}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `[${' '.repeat(3 << 20)}]` });
  const bigText = await big.text();
  assert.is(big.status, 200, bigText);
  assert.match(bigText, /HEALTH_NO_CHANGE/);
  hax.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => (hax!.exitCode !== null ? r(hax!.exitCode) : hax!.once('exit', (c) => r(c))));
  assert.is(code, 0, log.join(''));
});

it('purges completely: nothing it installed or made is left but the system user hax (Debian policy keeps it)', () => {
  assert.ok(installed, 'installed by the test before');
  const r = sh('apt-get', ['purge', '-y', 'hax'], { DEBIAN_FRONTEND: 'noninteractive' });
  assert.is(r.status, 0, r.out);
  installed = false;
  assert.equal(haxPaths(), before, 'paths naming hax before install vs after purge');
  for (const p of ['/usr/lib/hax', '/etc/hax', '/var/lib/hax', '/var/log/hax', '/run/hax', '/etc/systemd/system/multi-user.target.wants/hax.service', '/var/lib/systemd/deb-systemd-helper-enabled/hax.service.dsh-also']) {
    assert.not.ok(existsSync(p), `${p} is left`);
  }
  assert.is(sh('dpkg-query', ['-W', 'hax']).status, 1, 'dpkg forgot the package');
  assert.is(sh('getent', ['passwd', 'hax']).status, 0, 'the system user stays, as policy has it');
});

pkg.run();
