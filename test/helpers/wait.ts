// Waiting for a condition in a test: polls until it holds and throws when
// the time is up, naming what it waited for. A wait that runs out must fail
// the test, never fall through to assertions that then fail obscurely (or,
// worse, pass). The time limit is a give-up point, not a measurement.
// `detail` adds what was seen last to the failure.
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, stepMs = 25, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
