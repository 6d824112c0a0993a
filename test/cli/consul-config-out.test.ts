// `hax consul-config --out FILE`: written whole through a temporary file
// renamed over FILE, mode 0600 with a token whatever FILE's mode was; a
// symlink, a directory or an unwritable place refused with a coded line and
// exit status 2, nothing left behind; the file loads into a real agent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHax } from '../helpers/cli.ts';
import { createServer } from 'node:http';
import { freePort, startDevAgent } from '../../src/consul/dev-agent.ts';

const dir = mkdtempSync(join(tmpdir(), 'hax-cc-out-'));
const TOKEN = join(dir, 'token');
writeFileSync(TOKEN, 'cc-out-token-0123\n');
const umask = parseInt(spawnSync('sh', ['-c', 'umask'], { encoding: 'utf8' }).stdout.trim(), 8);
const mode = (p: string) => statSync(p).mode & 0o777;
const leftovers = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));

test('a pre-existing 0644 file gets mode 0600 and the new content when the output holds a token', async () => {
  const out = join(dir, 'watches.json');
  writeFileSync(out, 'old content\n');
  chmodSync(out, 0o644);
  const inode = statSync(out).ino;
  const r = await runHax('consul-config', '--services', 'ios', '--token-file', TOKEN, '--out', out);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, '', 'nothing on stdout with --out');
  assert.is(mode(out).toString(8), '600', 'the token is readable by the owner only');
  assert.not.equal(statSync(out).ino, inode, 'a new file was renamed over the old one');
  assert.match(readFileSync(out, 'utf8'), 'Bearer cc-out-token-0123');
  assert.equal(leftovers(), []);
});

test('without a token the file is 0644 less the umask, even over a 0600 one', async () => {
  const out = join(dir, 'plain.json');
  writeFileSync(out, '{}');
  chmodSync(out, 0o600);
  const r = await runHax('consul-config', '--services', 'ios', '--out', out);
  assert.is(r.status, 0, r.stderr);
  assert.is(mode(out).toString(8), (0o644 & ~umask).toString(8));
  assert.not.match(readFileSync(out, 'utf8'), 'Authorization');
});

const REFUSALS: [string, () => string, RegExp][] = [
  ['a symlink to a file', () => { const t = join(dir, 'target.json'); writeFileSync(t, 'target\n'); symlinkSync(t, join(dir, 'link.json')); return join(dir, 'link.json'); },
    /--out ".*link\.json" is a symbolic link; give the path of the file itself \[HAX_ERR_BAD_VALUE\]/],
  ['a dangling symlink', () => { symlinkSync(join(dir, 'nowhere', 'x.json'), join(dir, 'dangling.json')); return join(dir, 'dangling.json'); },
    /--out ".*dangling\.json" is a symbolic link/],
  ['a directory', () => { mkdirSync(join(dir, 'a-dir')); return join(dir, 'a-dir'); }, /--out ".*a-dir" is a directory; give the path of a file \[HAX_ERR_BAD_VALUE\]/],
  ['a directory that does not exist', () => join(dir, 'no-such-dir', 'w.json'), /--out ".*no-such-dir\/w\.json" cannot be written: ENOENT \[HAX_ERR_BAD_VALUE\]/],
  ['a device', () => '/dev/null', /--out "\/dev\/null" is not a regular file \[HAX_ERR_BAD_VALUE\]/],
  ['an empty path', () => '', /--out "" is empty \[HAX_ERR_BAD_VALUE\]/],
  ['a path under a file', () => join(TOKEN, 'x.json'), /cannot be written: ENOTDIR \[HAX_ERR_BAD_VALUE\]/],
];

for (const [what, make, message] of REFUSALS) {
  test(`refuses --out naming ${what} with exit status 2, changing nothing`, async () => {
    const out = make();
    const before = existsSync(out) || (() => { try { lstatSync(out); return true; } catch { return false; } })()
      ? JSON.stringify({ l: lstatSync(out).mode, link: lstatSync(out).isSymbolicLink() ? readlinkSync(out) : null }) : 'absent';
    const target = join(dir, 'target.json');
    const targetBefore = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    const r = await runHax('consul-config', '--token-file', TOKEN, '--out', out);
    assert.is(r.status, 2, r.stderr);
    assert.is(r.stdout, '');
    assert.is(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.not.match(r.stderr, /\n\s+at |node:internal/);
    const after = (() => { try { lstatSync(out); return JSON.stringify({ l: lstatSync(out).mode, link: lstatSync(out).isSymbolicLink() ? readlinkSync(out) : null }); } catch { return 'absent'; } })();
    assert.is(after, before, 'the target is as it was');
    if (targetBefore !== undefined) assert.is(readFileSync(target, 'utf8'), targetBefore, 'the symlink\'s target is untouched');
    assert.equal(leftovers(), [], 'no temporary file is left behind');
  });
}

test('refuses a token file that is not a regular file, a repeated flag and a repeated service', async () => {
  for (const [args, message] of [
    [['--token-file', '/dev/zero'], '--token-file "/dev/zero" is not a regular file [HAX_ERR_BAD_VALUE]'],
    [['--token-file', dir], `--token-file "${dir}" is not a regular file [HAX_ERR_BAD_VALUE]`],
    [['--out', join(dir, 'a.json'), '--out', join(dir, 'b.json')], "--out is given more than once; see 'hax consul-config --help' [HAX_ERR_USAGE]"],
    [['--services', 'ios,ios'], '--services "ios,ios" names ios twice [HAX_ERR_BAD_VALUE]'],
    [['--services', 'ios\nconfd'], '--services "ios\\nconfd" must be comma-separated Consul service names [HAX_ERR_BAD_VALUE]'],
  ] as [string[], string][]) {
    const r = await runHax('consul-config', ...args);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stderr, `hax consul-config: ${message}\n`);
  }
  assert.not.ok(existsSync(join(dir, 'a.json')) || existsSync(join(dir, 'b.json')));
});

test('the 0600 file loads into a real Consul agent: its watches POST to hax\'s address with the token', async () => {
  const port = await freePort();
  const seen: string[] = [];
  const server = createServer((req, res) => { seen.push(`${req.url} ${req.headers.authorization ?? '-'}`); req.resume(); res.end('{}'); });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const agent = await startDevAgent({ nodeName: 'cc-out' });
  try {
    const out = join(agent.configDir, 'hax-watches.json');
    writeFileSync(out, '{}');
    chmodSync(out, 0o644);
    const r = await runHax('consul-config', '--http', `127.0.0.1:${port}`, '--services', 'hax,ios', '--token-file', TOKEN, '--out', out);
    assert.is(r.status, 0, r.stderr);
    assert.is(mode(out).toString(8), '600');
    await agent.reload();
    // Consul fires every watch once when it loads it: two service watches and the bq/ keyprefix watch.
    const deadline = Date.now() + 15_000;
    while (seen.length < 3) {
      if (Date.now() > deadline) assert.unreachable(`the agent's watches did not fire in 15 s: ${JSON.stringify(seen)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal([...seen].sort(), ['/ Bearer cc-out-token-0123', '/ Bearer cc-out-token-0123', '/watcher/bq Bearer cc-out-token-0123']);
  } finally {
    await agent.stop();
    server.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
