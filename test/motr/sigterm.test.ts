// SIGTERM with the motr-enabled shim (issue 12, defect 2): loading it pulls in
// libfabric → libinfinipath.so.4, whose constructor replaces Node's signal
// handlers (SIGTERM → exit(1)). With the real library: hax's loader keeps
// Node's handlers (control: a plain load makes SIGTERM a silent exit 1), and
// `hax run` exits 0 on SIGTERM with either backend of that shim. (The
// guard's restore itself is tested in CI against sig_thief.node.)
// Skipped with the reason when the shim was built without the motr backend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { startDevAgent, freePort } from '../../src/consul/dev-agent.ts';
import { ADDON_PATH } from '../../src/native/binding.ts';
import { Child, motrTools } from './_motr.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { runHax } from '../helpers/cli.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tools = motrTools();
const skip = 'skip' in tools ? tools.skip : undefined;
const t = skip ? test.skip : test;
if (skip) console.log(`skipped (test/motr/sigterm.test.ts): ${skip}`);
const CHILD = new URL('../native/_sigterm-child.ts', import.meta.url).pathname;

/** Loads the motr-enabled shim in a child (guarded or not), SIGTERMs it once READY; its exit and report. */
function loadAndTerm(load: 'guarded' | 'plain'): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // IPATH_NO_BACKTRACE unset, as an operator's shell has it (libinfinipath installs nothing when
    // the variable exists at all, whatever its value).
    const env = { ...process.env };
    delete env.IPATH_NO_BACKTRACE;
    const c = spawn(process.execPath, ['--import', 'tsx', CHILD, load, 'sigterm', ADDON_PATH], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; if (out.includes('READY')) c.kill('SIGTERM'); });
    c.stderr.on('data', (d) => { out += d; });
    c.on('exit', (code) => resolve({ code, out }));
  });
}

t('loaded as hax loads it, the real libinfinipath leaves Node\'s handlers alone: SIGTERM reaches Node (exit 0)', async () => {
  const { code, out } = await loadAndTerm('guarded');
  assert.is(code, 0, out);
  const ready = JSON.parse(out.slice(out.indexOf('READY ') + 6).split('\n')[0]!) as { ipath: string | null; report: { restored: unknown[] } };
  assert.is(ready.ipath, '1', 'the loader set IPATH_NO_BACKTRACE before the load');
  assert.equal(ready.report.restored, [], 'nothing had to be restored');
});

t('control, without the guard: the same load turns SIGTERM into a silent exit 1', async () => {
  const { code, out } = await loadAndTerm('plain');
  assert.is(code, 1, out);
});

for (const backend of ['socket', 'motr'] as const) {
  t(`hax run --backend ${backend} with the motr-enabled shim exits 0 on SIGTERM`, async () => {
    const agent = await startDevAgent({ nodeName: 'sigterm-node' });
    const dir = mkdtempSync(join(tmpdir(), 'hax-sigterm-'));
    try {
      const [ha, http, confd] = [await freePort(), await freePort(), await freePort()];
      // libmotr's start() waits for a CONSUME answer to hax's own entrypoint: a cluster with a confd
      writeFileSync(join(dir, 'cluster.yaml'), `nodes:\n  - name: sigterm-node\n    address: inet:tcp:127.0.0.1\n    processes:\n      - { kind: hax, fidk: 1, port: ${ha} }\n      - { kind: confd, fidk: 2, port: ${confd} }\n`);
      const b = await runHax('bootstrap', '--consul', agent.url, '--cluster', join(dir, 'cluster.yaml'));
      assert.is(b.status, 0, b.stderr);
      const args = ['run', '--consul', agent.url, '--http', `127.0.0.1:${http}`, '--backend', backend];
      if (backend === 'socket') args.push('--listen', `tcp:127.0.0.1:${ha}`);
      const hax = new Child('hax', process.execPath, [new URL('../../bin/hax.js', import.meta.url).pathname, ...args], join(dir, 'hax.log'), { cwd: dir });
      await hax.waitFor('"hax ready"', 60_000);
      hax.kill('SIGTERM');
      const { code } = await hax.waitExit(30_000);
      assert.is(code, 0, hax.output().slice(-2000));
      assert.match(hax.output(), '"hax stopped"');
    } finally {
      await agent.stop();
    }
  });
}

test.run();
