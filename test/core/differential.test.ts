// The WASM decoder against the TypeScript oracle (test/core/differential-target.ts)
// at the size the core tests can afford; test/soak/codec-differential.test.ts
// compares a million messages.
import { test } from 'uvu';
import { compareDecoders } from './differential-target.ts';

test('decodes 50,000 random valid messages identically in WASM and in the TypeScript decoder', async () => {
  await compareDecoders(50_000, 0x5eed2025);
});

test.run();
