// The decoder fuzz target (test/core/fuzz-target.ts) at full length: a
// million inputs through one WASM instance, whose memory must not grow.
import { test } from 'uvu';
import { fuzzDecoders } from '../core/fuzz-target.ts';

test('survives 1,000,000 mutated, truncated and extended inputs with no trap, no memory growth, and the oracle\'s verdicts', async () => {
  await fuzzDecoders(1_000_000, 0xf022);
});

test.run();
