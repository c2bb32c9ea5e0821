import { afterEach } from '@jest/globals';

/**
 * For a conformance suite (one contract, every adapter): call inside its `describe`; each test
 * opens a fresh fixture with the returned function, and the fixture is closed after the test.
 */
export function freshFixture<F extends { close(): Promise<void> }>(open: () => Promise<F>): () => Promise<F> {
  let fixture: F | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });
  return async () => (fixture = await open());
}

/**
 * The reason `promise` was rejected with; fails when it resolves. A conformance suite asks only
 * that an adapter refuses, not with what: the drivers' errors differ, and one loaded natively once
 * per process (better-sqlite3's) is an Error of another realm under Jest's VM modules, which
 * `rejects.toThrow()` does not recognise.
 */
export async function refusal(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await promise.then(
    () => ({ refused: false as const }),
    (reason: unknown) => ({ refused: true as const, reason }),
  );
  if (!outcome.refused) throw new Error('expected the adapter to refuse, but it accepted');
  return outcome.reason;
}
