// A test that cannot run here is reported as skipped, with the reason,
// never counted as passed: uvu counts test.skip in its "Skipped:" line and
// scripts/test.mjs adds it to "N skipped". Decide before registering the
// test (a test that returns early is counted as passed).
import { test } from 'uvu';

export type TestFn = (name: string, fn: () => void | Promise<void>) => void;

/** `test`, or test.skip with `reason` printed when reason is given. */
export function testUnless(reason: string | undefined, name: string): TestFn {
  if (reason === undefined) return test;
  console.log(`skipped (${name}): ${reason}`);
  return (n, fn) => test.skip(n, fn);
}
