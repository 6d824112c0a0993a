// The WASM decoder against the TypeScript oracle (test/core/differential-target.ts)
// at full length: a million random valid messages.
import { test } from 'uvu';
import { compareDecoders } from '../core/differential-target.ts';

test('decodes 1,000,000 random valid messages identically in WASM and in the TypeScript decoder', async () => {
  await compareDecoders(1_000_000, 0x5eed2024);
});

test.run();
