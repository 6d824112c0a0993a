#!/usr/bin/env node
// Copies into a package the npm modules hax needs at run time, and nothing
// else: the packages the compiled JavaScript imports (found by reading its
// import statements, so a new import cannot be forgotten) and what they need
// in turn (from package-lock.json, resolved as Node resolves: nearest
// node_modules first). Dev and build-only packages (tsx, TypeScript,
// cmake-js, node-addon-api, …) are never imported at run time, so they stay
// out. What a module ships for developers (docs, type declarations, source
// maps, TypeScript sources) is left behind; its licence texts are gathered
// into one file for the package's copyright file.
//
// Usage: node scripts/runtime-modules.mjs COMPILED_DIR DEST_NODE_MODULES LICENSES_OUT
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { builtinModules } from 'node:module';

const [compiledDir, dest, licensesOut] = process.argv.slice(2);
if (!compiledDir || !dest || !licensesOut) {
  console.error('usage: runtime-modules.mjs COMPILED_DIR DEST_NODE_MODULES LICENSES_OUT');
  process.exit(2);
}
const ROOT = join(dirname(new URL(import.meta.url).pathname), '..');
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages;

function jsFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) jsFiles(p, out);
    else if (name.endsWith('.js')) out.push(p);
  }
  return out;
}

// Bare specifiers of static imports and re-exports (statements start a
// line in tsc's output), side-effect imports and dynamic imports of a
// literal: 'ajv/dist/2020.js' → 'ajv'. Comments that merely say "from 'x'" are not statements.
const IMPORT = /^(?:import|export)\s[^;]*?\bfrom\s*['"]([^'".][^'"]*)['"]|^import\s*['"]([^'".][^'"]*)['"]|\bimport\(\s*['"]([^'".][^'"]*)['"]\s*\)/gm;
const builtins = new Set(builtinModules);
const roots = new Set();
for (const file of jsFiles(compiledDir)) {
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('node:') || builtins.has(spec.split('/')[0]) || /^[a-z]+:/.test(spec)) continue;
    roots.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
}

/** The lockfile key of `name` as the package at `from` (a lockfile key, '' for the project) resolves it. */
function resolve(name, from) {
  for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock[key]) return key;
    if (base === '') break;
  }
  throw new Error(`runtime-modules: ${name} (needed by ${from || 'hax'}) is not in package-lock.json; run npm ci`);
}

const needed = new Set();
const queue = [...roots].map((name) => resolve(name, ''));
while (queue.length > 0) {
  const key = queue.pop();
  if (needed.has(key)) continue;
  if (lock[key].dev) throw new Error(`runtime-modules: ${key} is imported at run time but is a devDependency in package.json`);
  needed.add(key);
  for (const dep of Object.keys({ ...lock[key].dependencies, ...lock[key].optionalDependencies })) {
    try { queue.push(resolve(dep, key)); } catch (error) { if (!lock[key].optionalDependencies?.[dep]) throw error; }
  }
}

const DEV_ONLY = /(\.md|\.markdown|\.map|\.d\.ts|\.d\.mts|\.d\.cts|\.ts|\.mts|\.cts|\.tsbuildinfo)$|^\.(npmignore|eslintrc.*|prettierrc.*|editorconfig|travis\.yml|nycrc|gitattributes|gitignore|gitmodules)$/i;
const LICENSE = /^(licen[cs]e|copying)(\..*)?$/i;
const licenses = [];
function prune(dir, pkgKey) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'node_modules') continue;          // nested packages are copied (and pruned) on their own
      if (name === '.github') rmSync(p, { recursive: true });
      else prune(p, pkgKey);
    } else if (LICENSE.test(name) && dirname(p) === join(dest, relative('node_modules', pkgKey))) {
      licenses.push({ key: pkgKey, text: readFileSync(p, 'utf8') });
      rmSync(p);
    } else if (DEV_ONLY.test(name)) {
      rmSync(p);
    }
  }
}

rmSync(dest, { recursive: true, force: true });
mkdirSync(dest, { recursive: true });
for (const key of [...needed].sort()) {
  const to = join(dest, relative('node_modules', key));
  cpSync(join(ROOT, key), to, { recursive: true, dereference: true, filter: (src) => !src.slice(join(ROOT, key).length).includes('/node_modules/') });
  prune(to, key);
}
// directories left empty by the pruning (ajv's lib/ held only TypeScript)
for (const dir of readdirSync(dest, { recursive: true }).map((d) => join(dest, d)).filter((p) => statSync(p).isDirectory()).sort().reverse()) {
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}
const modules = [...needed].sort().map((key) => {
  const { name, version, license } = lock[key];
  return { path: relative('node_modules', key), name: name ?? key.slice(key.lastIndexOf('node_modules/') + 13), version, license: license ?? 'UNKNOWN', text: licenses.find((l) => l.key === key)?.text };
});
const missing = modules.filter((m) => m.text === undefined);
if (missing.length > 0) throw new Error(`runtime-modules: no licence file in ${missing.map((m) => m.name).join(', ')}`);
writeFileSync(licensesOut, JSON.stringify(modules, null, 2) + '\n');
console.log(`runtime-modules: ${modules.map((m) => `${m.name}@${m.version}`).join(' ')}`);
