// The decoder fuzz target (test/core/fuzz-target.ts) at the size the core
// tests can afford; test/soak/codec-fuzz.test.ts runs a million inputs.
import { test } from 'uvu';
import { fuzzDecoders } from './fuzz-target.ts';

test('survives 30,000 mutated, truncated and extended inputs with no trap, no memory growth, and the oracle\'s verdicts', async () => {
  await fuzzDecoders(30_000, 0xf0a5);
});

test.run();
