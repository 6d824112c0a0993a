#!/usr/bin/env node
// Writes the package's debian/copyright (machine-readable format 1.0): hax
// itself, and each npm module the package carries, with the licence text
// that module ships (gathered by scripts/runtime-modules.mjs).
// Usage: node packaging/debian/copyright.mjs LICENSES_JSON > copyright
import { readFileSync } from 'node:fs';

const modules = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const indent = (text) => text.trim().split('\n').map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`)).join('\n');
const out = [
  'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
  'Upstream-Name: hax',
  '',
  'Files: *',
  'Copyright: the hax authors',
  'License: Apache-2.0',
  ' On Debian systems, the full text of the Apache License, Version 2.0 is in',
  ' /usr/share/common-licenses/Apache-2.0.',
];
for (const m of modules) {
  out.push('', `Files: usr/lib/hax/node_modules/${m.path}/*`);
  const holders = [...m.text.matchAll(/^\s*Copyright\s+(?:\(c\)\s*|©\s*)?(.+)$/gim)].map((x) => x[1].trim());
  out.push(`Copyright: ${holders.length > 0 ? holders.join('\n ') : `the authors of ${m.name}`}`);
  out.push(`License: ${m.license}`);
  out.push(indent(`${m.name} ${m.version}, licensed ${m.license}:\n\n${m.text}`));
}
process.stdout.write(out.join('\n') + '\n');
