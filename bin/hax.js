#!/usr/bin/env node
// Entry point of the `hax` command: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
// exit explicitly: a finished command must not linger on a stray handle.
process.exit(await main(process.argv.slice(2)));
