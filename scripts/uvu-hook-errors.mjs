// Preloaded by scripts/test.mjs into every test process: uvu 0.5.6 swallows
// an error thrown in a before() hook (its runner returns from a finally
// block), so a suite whose set-up failed printed nothing but "Passed: 0".
// This wraps the default suite's before/after registration so the error is
// printed; test.mjs counts the tests that did not run as failed.
import { test } from 'uvu';

for (const name of ['before', 'after']) {
  const register = test[name];
  const wrapped = (fn) => register(async (state) => {
    try {
      await fn(state);
    } catch (error) {
      console.log(`\n[test.mjs] test.${name}() threw: ${error instanceof Error ? error.stack : String(error)}`);
      throw error;
    }
  });
  wrapped.each = register.each;
  test[name] = wrapped;
}
