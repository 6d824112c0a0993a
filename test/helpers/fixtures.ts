// Where the shared test data lives (../shared/fixtures: golden xcode bytes,
// m0d traces, the hare layout seeder, Consul watch requests). Beside the
// checkout when it is there; else the team's copy at /work/shared, so that a
// clone made elsewhere (CI clones into a temporary directory) still finds it
// instead of skipping; $HAX_FIXTURES overrides both.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const beside = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

/** The fixtures directory, with a trailing slash. */
export const FIXTURES_DIR: string = process.env.HAX_FIXTURES
  ? process.env.HAX_FIXTURES.replace(/\/?$/, '/')
  : existsSync(beside) ? beside : '/work/shared/fixtures/';
