// hax refuses to start on a Node.js older than 20 with one coded line, before
// it loads anything that an old Node would fail on somewhere deep. The old
// Node is played by a preload that makes this Node report v18.19.0 (Debian
// 12's), since only one Node is installed here; the same entry under the
// real version is the positive control.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
// @ts-expect-error: plain JavaScript without declarations (it must parse on old Nodes)
import { nodeVersionProblem } from '../../bin/require-node.js';
import { HAX_BIN } from '../helpers/cli.ts';

const AS_NODE_18 = 'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"18.19.0"}})';

test('the entry point refuses Node 18 with HAX_ERR_NODE_VERSION and exit status 2, and runs on this Node', () => {
  const old = spawnSync(process.execPath, ['--import', AS_NODE_18, HAX_BIN, '--help'], { encoding: 'utf8' });
  assert.is(old.status, 2, old.stderr);
  assert.is(old.stdout, '', 'no help: nothing of hax ran');
  assert.match(old.stderr, /^hax: hax needs Node\.js 20 or newer, and .* is v18\.19\.0; install Node\.js 20 or newer .*\[HAX_ERR_NODE_VERSION\]\n$/);
  const now = spawnSync(process.execPath, [HAX_BIN, '--help'], { encoding: 'utf8' });
  assert.is(now.status, 0, now.stderr);
  assert.match(now.stdout, /^Usage: hax <command>/);
});

test('the check draws the line at 20', () => {
  assert.type(nodeVersionProblem('18.20.4'), 'string');
  assert.type(nodeVersionProblem('19.9.0'), 'string');
  assert.is(nodeVersionProblem('20.0.0'), undefined);
  assert.is(nodeVersionProblem('22.11.0'), undefined);
  assert.type(nodeVersionProblem('not-a-version'), 'string');
});

test.run();
