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
