#!/usr/bin/env node
// Builds the AssemblyScript core (assembly/ → build/as/<target>.wasm) for every
// target named on the command line, in ONE process: asc + binaryen start-up
// costs ~3 s per process, so `asc.main` is called once per target here.
//
// Usage: node scripts/build-as.mjs release debug
// Targets and options live in asconfig.json (bindings none: the host loads the
// raw .wasm with WebAssembly.instantiate and only `env.abort` as import).
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';

const targets = process.argv.slice(2);
if (targets.length === 0) targets.push('release', 'debug');
mkdirSync('build/as', { recursive: true });

const started = performance.now();
for (const target of targets) {
  const t0 = performance.now();
  const { error, stderr } = await asc.main(
    ['--config', 'asconfig.json', '--target', target],
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (error) {
    console.error(`build-as: target ${target} failed: ${error.message}`);
    process.exitCode = 1;
    break;
  }
  void stderr;
  console.log(`build-as: ${target} built in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
if (!process.exitCode) {
  console.log(`build-as: ${targets.join(', ')} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}
