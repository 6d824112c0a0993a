// Issue 13, the command line: what the table of test/hostile/cli-inputs
// cannot show. Time bounds (hax sim where nothing listens gives up after
// about 10 s; hax status gives up after 10 s or 64 MiB), boundaries (the
// codec takes exactly 1 MiB, a token file exactly 64 KiB; an endless stdin is
// not read to its end), and that the fixes leave good input alone (hax sim
// against a hax that is up, or that comes up late; hax status on a port that
// fetch calls "bad"). Every refusal: one line on stderr with its code, no
// stack trace, nothing on stdout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Codec } from '../../src/core/codec.ts';
import { freePort } from '../../src/consul/dev-agent.ts';
import { oneLine, quote } from '../../src/cli/args.ts';
import { readToken } from '../../src/cli/token.ts';
import { startFakeHax } from '../sim/_fake-hax.ts';
import { HAX_BIN } from '../helpers/cli.ts';
import { testUnless } from '../helpers/skip.ts';

const dir = mkdtempSync(join(tmpdir(), 'hax-cli-siblings-'));
const cleanups: (() => Promise<void> | void)[] = [];

interface Outcome { status: number | null; signal: string | null; stdout: string; stderr: string; ms: number }

/** `hax ARGS`, killed after 60 s; stdin: bytes, or a file descriptor the child reads itself (/dev/zero). */
function hax(args: string[], stdin: Buffer | number = Buffer.alloc(0)): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    const c = spawn(process.execPath, [HAX_BIN, ...args], { stdio: [typeof stdin === 'number' ? stdin : 'pipe', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL' });
    let stdout = '', stderr = '';
    c.stdout!.on('data', (d) => { stdout += d; });
    c.stderr!.on('data', (d) => { stderr += d; });
    if (c.stdin) { c.stdin.on('error', () => { /* the child stopped reading */ }); c.stdin.end(stdin); }
    c.on('close', (status, signal) => resolve({ status, signal, stdout, stderr, ms: Date.now() - started }));
  });
}

/** A refusal as issue 13 wants it: the exit status, one line with the code, no stack trace, nothing on stdout. */
function refused(o: Outcome, status: number, code: string, says: string | RegExp, what: string): void {
  assert.is(o.signal, null, `${what}: killed after ${o.ms} ms (a hang)`);
  assert.is(o.status, status, `${what}: exit status ${o.status}: ${o.stderr.slice(0, 400)}`);
  assert.not.match(o.stderr, /\n\s+at \S|node:internal|^\s*\^|^\w*Error\b|Uncaught/m, `${what}: a stack trace: ${o.stderr.slice(0, 400)}`);
  assert.match(o.stderr, /^[^\n]+\n$/, `${what}: one line: ${JSON.stringify(o.stderr.slice(0, 400))}`);
  assert.ok(o.stderr.trimEnd().endsWith(`[${code}]`) || o.stderr.includes(` ${code} `), `${what}: the code ${code}: ${o.stderr}`);
  assert.match(o.stderr, says, `${what}: says ${says}: ${o.stderr}`);
  assert.is(o.stdout, '', `${what}: nothing on stdout`);
}

// ---- values in messages ------------------------------------------------------

test('quote(): JSON-quoted, controls and invisible characters escaped, 200 characters at most', () => {
  assert.is(quote('a\nb'), '"a\\nb"');
  assert.is(quote('x'.repeat(1000)), `"${'x'.repeat(200)}…"`);
  assert.is(quote('\u001b[2J\u009b\u2028\u202e\u200b"'), '"\\u001b[2J\\u009b\\u2028\\u202e\\u200b\\""');
  assert.is(oneLine('one\r\ntwo\u0085'), 'one\\r\\ntwo\\u0085');
  assert.is(oneLine('y'.repeat(50), 10), `${'y'.repeat(10)}…`);
});

// ---- (1) codec: the core's 1 MiB input region ----------------------------------

test('codec: exactly 1 MiB reaches the codec (its own data error); 1 MiB + 1 is refused naming the limit', async () => {
  const at = await hax(['codec', 'decode', '--kind', 'msg', '-'], Buffer.alloc(1 << 20));
  refused(at, 1, 'HAX_ERR_XCODE_TRAILING_BYTES', /^hax codec decode: HAX_ERR_XCODE_TRAILING_BYTES at input byte 80: /, '1 MiB');
  const over = await hax(['codec', 'decode', '--kind', 'msg', '-'], Buffer.alloc((1 << 20) + 1));
  refused(over, 1, 'HAX_ERR_CODEC_TOO_LARGE', /at input byte 1048576: the input is more than 1048576 bytes, the most the codec takes \(its input region, 1 MiB\)/, '1 MiB + 1');
});

test('codec: /dev/zero on stdin (it never ends) is refused at once, not read to its end', async () => {
  for (const verb of ['decode', 'encode']) {
    const fd = openSync('/dev/zero', 'r');
    try {
      const o = await hax(['codec', verb, '--kind', 'link-msg'], fd);
      refused(o, 1, 'HAX_ERR_CODEC_TOO_LARGE', 'more than 1048576 bytes', `${verb} < /dev/zero`);
      assert.ok(o.ms < 10_000, `${verb}: ${o.ms} ms`);
    } finally { closeSync(fd); }
  }
});

// ---- (4) sim: a bounded wait for hax, and nothing else changed ------------------

test('sim: where nothing listens, one coded line after about 10 s (not 60 s of silence)', async () => {
  const o = await hax(['sim', '--connect', `tcp:127.0.0.1:${await freePort()}`]);
  refused(o, 1, 'HAX_ERR_HAX_UNREACHABLE', /cannot connect to hax at "tcp:127\.0\.0\.1:\d+": ECONNREFUSED for 10 s/, 'nothing listens');
  assert.ok(o.ms >= 8_000 && o.ms < 20_000, `gave up after ${o.ms} ms`);
});

test('sim: against a hax that is up, the connection check changes nothing (m0mkfs, exit 0)', async () => {
  const fake = await startFakeHax(await Codec.load(), () => 'deliver');
  cleanups.push(() => fake.close());
  const o = await hax(['sim', '--connect', fake.address, '--scenario', 'm0mkfs', '--first-fid', '0x7200000000000001:0x2']);
  assert.is(o.status, 0, o.stdout + o.stderr);
  assert.is(o.stderr, '');
  assert.match(o.stdout, /"code":"SIM_SUMMARY"/);
  assert.is(fake.seen.length, 10, 'all of trace a reached the fake hax');
});

test('sim: a hax that comes up 2 s after the sim starts is waited for (exit 0)', async () => {
  const fake = await startFakeHax(await Codec.load(), () => 'deliver');
  cleanups.push(() => fake.close());
  const fakePort = Number(fake.address.split(':').at(-1));
  const port = await freePort();
  // a late listener on `port` that forwards each connection to the fake hax
  let late: net.Server | undefined;
  const timer = setTimeout(() => {
    late = net.createServer((a) => { const b = net.connect(fakePort, '127.0.0.1'); a.pipe(b).pipe(a); a.on('error', () => b.destroy()); b.on('error', () => a.destroy()); });
    late.listen(port, '127.0.0.1');
  }, 2000);
  cleanups.push(() => { clearTimeout(timer); late?.close(); });
  const o = await hax(['sim', '--connect', `tcp:127.0.0.1:${port}`, '--scenario', 'm0mkfs', '--first-fid', '0x7200000000000001:0x3']);
  assert.is(o.status, 0, o.stdout + o.stderr);
  assert.ok(o.ms >= 2000, `${o.ms} ms`);
  assert.match(o.stdout, /"code":"SIM_SUMMARY"/);
});

// ---- (5) token files: boundaries ---------------------------------------------

test('token: a regular file up to 64 KiB is read and trimmed; one byte more is refused', () => {
  const token = 'a-token-of-16-ch';
  const at = join(dir, 'at'); writeFileSync(at, `  ${token}${' '.repeat(65_536 - token.length - 3)}\n`);
  assert.is(readToken(at, {}), token);
  const over = join(dir, 'over'); writeFileSync(over, `  ${token}${' '.repeat(65_536 - token.length - 2)}\n`);
  assert.throws(() => readToken(over, {}), (e: Error & { code?: string }) => e.code === 'HAX_ERR_BAD_VALUE' && /is 65537 bytes; a token file is at most 65536 bytes/.test(e.message));
  assert.is(readToken(undefined, { HAX_HTTP_TOKEN: ` ${token} ` }), token);
});

// ---- (6) status: node:http, bounded, and answers that are not hax's ----------------

/** An HTTP server on `port` (0: any) answering every request with `handler`; its port, or undefined when that port is taken. */
async function server(handler: http.RequestListener, port = 0): Promise<number | undefined> {
  const s = http.createServer(handler);
  const ok = await new Promise<boolean>((resolve) => { s.once('error', () => resolve(false)); s.listen(port, '127.0.0.1', () => resolve(true)); });
  if (!ok) return undefined;
  cleanups.push(() => { s.closeAllConnections(); s.close(); });
  return (s.address() as net.AddressInfo).port;
}

const STATUS = { node: 'n1', nodes: [{ name: 'n1', fid: '0x6e00000000000001:0x1', state: 'M0_NC_ONLINE', processes: [
  { fid: '0x7200000000000001:0x1', kind: 'hax', endpoint: 'inet:tcp:127.0.0.1@22001', state: 'M0_NC_ONLINE', event: 'M0_CONF_HA_PROCESS_STARTED', services: [] },
] }] };

// The server is bound before the test is registered, so that a machine where
// every such port is taken reports the test skipped rather than passed.
let badPort: number | undefined;
for (const p of [10080, 6665, 6666, 6667, 6668, 6669, 6000, 5060, 5061]) if ((badPort = await server((_q, r) => r.end(JSON.stringify(STATUS)), p))) break;
testUnless(badPort === undefined ? 'every port fetch refuses as "bad" that this test tries (10080, 6665-6669, 6000, 5060, 5061) is taken here' : undefined, 'status on a bad port')('status: works on a port fetch refuses as "bad" (hax can serve there)', async () => {
  const port = badPort!;
  const o = await hax(['status', '--http', `127.0.0.1:${port}`]);
  assert.is(o.status, 0, `port ${port}: ${o.stderr}`);
  assert.match(o.stdout, /^OBJECT\s+FID/);
  assert.match(o.stdout, /hax\s+0x7200000000000001:0x1/);
});

test('status: an answer that is not hax\'s, an error with a multi-line body, no answer, an endless answer: one coded line each, within 10 s', async () => {
  const html = await server((_q, r) => r.end('<html>\n<body>not hax</body>\n</html>'));
  refused(await hax(['status', '--http', `127.0.0.1:${html}`]), 1, 'HAX_ERR_HAX_UNREACHABLE', /answered 200 with something that is not hax's cluster status \("<html>\\n<body>/, 'HTML');
  const shape = await server((_q, r) => r.end('{"nodes": [{"name": 1}]}'));
  refused(await hax(['status', '--http', `127.0.0.1:${shape}`]), 1, 'HAX_ERR_HAX_UNREACHABLE', 'is not hax\'s cluster status', 'JSON of another shape');
  const nulls = await server((_q, r) => r.end(JSON.stringify({ nodes: [{ name: 'n', processes: [{ fid: 'x', services: [null] }] }] })));
  refused(await hax(['status', '--http', `127.0.0.1:${nulls}`]), 1, 'HAX_ERR_HAX_UNREACHABLE', 'is not hax\'s cluster status', 'a service that is null (was a TypeError)');
  const error = await server((_q, r) => { r.writeHead(500); r.end('line one\nline two\u001b[2J'); });
  refused(await hax(['status', '--http', `127.0.0.1:${error}`]), 1, 'HAX_ERR_HAX_UNREACHABLE', /hax answered 500 to http:\S+: "line one\\nline two\\u001b\[2J"/, '500');
  const silent = await server(() => { /* never answers */ });
  const s = await hax(['status', '--http', `127.0.0.1:${silent}`]);
  refused(s, 1, 'HAX_ERR_HAX_UNREACHABLE', 'no answer within 10 s', 'no answer');
  assert.ok(s.ms < 20_000, `${s.ms} ms`);
  const chunk = Buffer.alloc(1 << 20, 0x20);
  const endless = await server((_q, r) => { r.writeHead(200); const more = () => { while (!r.destroyed && r.write(chunk)); }; r.on('drain', more); more(); });
  const e = await hax(['status', '--http', `127.0.0.1:${endless}`]);
  refused(e, 1, 'HAX_ERR_HAX_UNREACHABLE', /the answer is larger than 67108864 bytes|no answer within 10 s/, 'endless');
  assert.ok(e.ms < 20_000, `${e.ms} ms`);
});

test.after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
