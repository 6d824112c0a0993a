// The monitor in a real browser (Debian's Chromium driven by playwright-core):
// it connects to the feed, shows the demo cluster, and shows the state change
// a watch POST causes. Saves a screenshot (test/artifacts/monitor.png; with
// HAX_UPDATE_SCREENSHOT=1 also docs/monitor.png, the one README shows).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startDevAgent } from '../../src/consul/dev-agent.ts';
import { ConsulClient } from '../../src/consul/client.ts';
import { seedCluster } from '../../src/bootstrap/seed.ts';
import { demoCluster } from '../../src/demo/demo-cluster.ts';
import { startHax } from '../../src/daemon/hax-daemon.ts';
import { createLogger } from '../../src/log.ts';
import { Codec } from '../../src/core/codec.ts';
import { SimProcess } from '../../src/sim/sim-process.ts';
import { PROCESS_CONTAINER } from '../../src/fid.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const IOS = '0x7200000000000001:0x3';

test('the monitor connects, shows the demo cluster, and shows a state change after a watch POST', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install.sh installs Debian's chromium`);
  const node = 'browser-node';
  const agent = await startDevAgent({ nodeName: node });
  const consul = new ConsulClient(agent.url);
  await seedCluster(consul, demoCluster(node), node);
  const hax = await startHax({ consulUrl: agent.url, listen: ['tcp:127.0.0.1:0'], http: { host: '127.0.0.1', port: 0 } }, createLogger({ level: 'error', write: () => {} }));
  const base = `http://127.0.0.1:${hax.httpAddress.port}`;
  const codec = await Codec.load();
  const sims: SimProcess[] = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    // launch() makes a fresh temporary profile; the flags keep Chromium off the (closed) network
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const key of [2n, 3n, 4n]) {
      const sim = new SimProcess({ address: hax.haLinkAddresses[0], codec, processFid: { container: PROCESS_CONTAINER, key }, type: 'M0_CONF_HA_PROCESS_M0D' });
      sims.push(sim);
      await sim.connect();
      await sim.processEvent('M0_CONF_HA_PROCESS_STARTED');
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/monitor`);
    await page.waitForSelector('body[data-feed=open]', { timeout: 15_000 });
    await page.waitForSelector('body[data-cluster=loaded]', { timeout: 15_000 });
    for (const fid of ['0x7200000000000001:0x1', '0x7200000000000001:0x2', IOS, '0x7200000000000001:0x4']) {
      assert.ok(await page.$(`[data-fid="${fid}"]`), `the map shows process ${fid}`);
    }
    await page.waitForSelector('#links tbody tr', { timeout: 15_000 });
    assert.is(await page.textContent('#node'), `node ${node} · RC ${node}`, 'the header names the RC');

    const body = JSON.stringify([{ Node: { Node: node }, Service: { ID: '3', Service: 'ios' }, Checks: [{ CheckID: 'serfHealth', ServiceID: '', Status: 'passing' }, { CheckID: 'service:3', ServiceID: '3', Status: 'warning' }] }]) + '\n';
    const posted = Date.now();
    const res = await fetch(`${base}/`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Consul-Index': '99' }, body });
    assert.is(res.status, 200);
    await page.waitForSelector(`[data-fid="${IOS}"] > .state[data-state="M0_NC_TRANSIENT"]`, { timeout: 10_000 });
    const shownAfterMs = Date.now() - posted;
    await page.waitForSelector('#log li[data-kind]', { timeout: 10_000 });
    const logText = await page.$eval('#log', (e) => e.textContent ?? '');
    assert.match(logText, /TRANSIENT/);
    assert.equal(errors, [], 'no script errors on the page');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'monitor.png'), fullPage: true });
    if (process.env.HAX_UPDATE_SCREENSHOT === '1') copyFileSync(join(ARTIFACTS, 'monitor.png'), new URL('../../docs/monitor.png', import.meta.url).pathname);
    console.log(`browser: the state change showed ${shownAfterMs} ms after the watch POST; screenshot ${join(ARTIFACTS, 'monitor.png')}`);
  } finally {
    await browser.close();
    for (const s of sims) await s.close();
    await hax.stop();
    await agent.stop();
  }
});

test.run();
