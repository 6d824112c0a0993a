#!/usr/bin/env node
// Runs every uvu test file in its own Node process and prints one closing line
// `N passed, N failed, N skipped` that CI reads. Exits 1 on any failure.
//
// Why one process per file: each suite starts its own Consul agent and native
// shim, and a crash in one file must not hide the results of the others.
// Why we count ourselves: uvu 0.5.6 swallows an error thrown in before() and
// exits 0 with "Passed: 0", so failed = Total − Passed (the tests that did
// not run count as failed), and a file that dies before printing its summary
// counts as one failure. scripts/uvu-hook-errors.mjs, preloaded, prints the
// hook's error. Skips (test.skip, with their reason printed by the test) are
// counted apart: "N passed, N failed, N skipped".
//
// Files run two at a time (HAX_TEST_JOBS; the machines have 2 cores and most
// suites spend their time waiting on Consul, sockets or sleeps); each file's
// output is printed whole when it finishes, so logs stay readable.
//
// Usage: node scripts/test.mjs [dir-or-file ...] [--grep SUBSTRING]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const FILE_TIMEOUT_MS = 300_000;
const HOOK_ERRORS = new URL('./uvu-hook-errors.mjs', import.meta.url).href;
const args = process.argv.slice(2);
const grepAt = args.indexOf('--grep');
const grep = grepAt >= 0 ? args.splice(grepAt, 2)[1] : undefined;
const roots = args.length > 0 ? args : ['test'];

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) { out.push(path); return out; }
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    if (statSync(child).isDirectory()) collect(child, out);
    else if (/\.test\.(ts|mjs|js)$/.test(name)) out.push(child);
  }
  return out;
}

const files = roots.flatMap((r) => collect(r, [])).filter((f) => !grep || f.includes(grep));
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', HOOK_ERRORS, file], {
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (chunk) => { out += chunk.toString(); };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => { out += `\n[test.mjs] ${file} timed out after ${FILE_TIMEOUT_MS} ms\n`; child.kill('SIGKILL'); }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.stdout.write(`\n── ${relative(process.cwd(), file)}\n${out}`);
      const text = stripAnsi(out);
      const num = (label) => { const m = text.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm')); return m ? Number(m[1]) : undefined; };
      const total = num('Total'), passed = num('Passed'), skipped = num('Skipped') ?? 0;
      if (total === undefined || passed === undefined) {
        console.log(`[test.mjs] ${file}: no uvu summary (exit ${code ?? signal}); counted as 1 failure`);
        resolve({ passed: 0, failed: 1, skipped: 0 });
        return;
      }
      let failed = total - passed;
      if (failed > 0 && !/^\s*FAIL\s/m.test(text)) console.log(`[test.mjs] ${file}: ${failed} of ${total} test(s) did not run (a before() hook threw); counted as failures`);
      if (failed === 0 && code !== 0) { console.log(`[test.mjs] ${file}: exit ${code ?? signal} after all tests passed; counted as 1 failure`); failed = 1; }
      resolve({ passed, failed, skipped });
    });
  });
}

const sum = { passed: 0, failed: 0, skipped: 0 };
const failedFiles = [];
const jobs = Math.max(1, Number(process.env.HAX_TEST_JOBS ?? 2));
const queue = [...files];
await Promise.all(Array.from({ length: jobs }, async () => {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const r = await runFile(file);
    sum.passed += r.passed; sum.failed += r.failed; sum.skipped += r.skipped;
    if (r.failed > 0) failedFiles.push(file);
  }
}));
if (files.length === 0) { console.log('[test.mjs] no test files found'); sum.failed += 1; }
if (failedFiles.length > 0) console.log(`\nfailing files:\n  ${failedFiles.join('\n  ')}`);
console.log(`\n${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
process.exit(sum.failed > 0 ? 1 : 0);
