// Runs benchmarks by name, one after another (never side by side: each
// measures against a baseline in its own run, and two at once would load the
// host for each other). Arguments after `--` go to every bench named.
//
//   npm run bench -- codec feed -- --seconds 2
//   node --import tsx bench/run.ts codec
//
// With no name it lists the benches (bench/<name>/run.ts) and exits 2.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const known = readdirSync(HERE, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(HERE, d.name, 'run.ts'))).map((d) => d.name).sort();

const args = process.argv.slice(2);
const split = args.indexOf('--');
const names = split < 0 ? args : args.slice(0, split);
const passOn = split < 0 ? [] : args.slice(split + 1);

if (names.length === 0) {
  console.error(`usage: npm run bench -- <name>... [-- <args for each>]\nbenches: ${known.join(', ')}`);
  process.exit(2);
}
const unknown = names.filter((n) => !known.includes(n));
if (unknown.length > 0) {
  console.error(`HAX_ERR_USAGE: no bench ${unknown.join(', ')} (benches: ${known.join(', ')})`);
  process.exit(2);
}
for (const name of names) {
  console.log(`\n== bench/${name} ==`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(HERE, name, 'run.ts'), ...passOn], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench/${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}
