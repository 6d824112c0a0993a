// Refuses to start hax on a Node.js older than it needs, with one line that
// says what to install, before anything else is loaded: on an old Node the
// rest of hax would fail somewhere deep with an error nobody can act on.
// Debian 12 ships Node.js 18, so this is what an operator who installed the
// package without Node 20 first sees. Plain JavaScript that Node 12 parses.
const MINIMUM_MAJOR = 20;

/** Why `version` (e.g. "20.11.1") cannot run hax, or undefined when it can. */
export function nodeVersionProblem(version, minimum = MINIMUM_MAJOR) {
  const major = Number(String(version).split('.')[0]);
  if (Number.isInteger(major) && major >= minimum) return undefined;
  return `hax needs Node.js ${minimum} or newer, and ${process.execPath} is v${version}; ` +
    `install Node.js ${minimum} or newer (on Debian 12: see /usr/share/doc/hax/install.md or docs/install.md) [HAX_ERR_NODE_VERSION]`;
}

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`hax: ${problem}\n`);
  // 2: a setup error that a restart cannot fix (the unit does not restart on it)
  process.exit(2);
}
