#!/usr/bin/env node
// Entry point of the `hax` command in a source tree: loads the TypeScript
// sources through tsx. (The Debian package ships compiled JavaScript and its
// own entry point, packaging/debian/hax.js.) The Node.js version is checked
// first, and no top-level await: an old Node must reach that check.
import './require-node.js';

import('tsx/esm/api')
  .then(({ register }) => { register(); return import('../src/cli/main.ts'); })
  // exit explicitly: a finished command must not linger on a stray handle.
  .then(({ main }) => main(process.argv.slice(2)))
  .then((status) => process.exit(status));
