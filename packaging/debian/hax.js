#!/usr/bin/node
// Entry point of the `hax` command as the Debian package installs it
// (/usr/lib/hax/bin/hax.js, linked from /usr/bin/hax): the compiled
// JavaScript, no tsx or TypeScript. The Node.js version is checked first,
// and no top-level await: an old Node must reach that check.
import './require-node.js';

import('../src/cli/main.js')
  // exit explicitly: a finished command must not linger on a stray handle.
  .then(({ main }) => main(process.argv.slice(2)))
  .then((status) => process.exit(status));
