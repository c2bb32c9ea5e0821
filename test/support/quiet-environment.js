import { Buffer } from 'node:buffer';
import { TestEnvironment } from 'jest-environment-node';

/**
 * The test environment of every suite (jest.config.js): Node's, with stderr held back. Whatever a
 * test writes to stderr — the logs of the app and the sandbox, Node's warnings, the output of a
 * worker thread — is kept while the test runs and printed only if the test fails, under a line
 * naming it; a passing test's output is dropped. `npm test` then shows the results, not hundreds of
 * log lines. `TEST_LOGS=show npm test` lets everything through, as before.
 *
 * Written in JavaScript: Jest loads the environment itself, outside the TypeScript transform.
 * stdout is left alone (the fault suite prints its figures there on purpose).
 */
export default class QuietEnvironment extends TestEnvironment {
  #held = [];
  #write = undefined;
  #failed = false;

  async setup() {
    await super.setup();
    if (process.env.TEST_LOGS === 'show') return;
    const stderr = process.stderr;
    this.#write = stderr.write;
    // Every writer (winston's stream transport, a piped worker thread, Node's warnings) calls
    // stderr.write, so the instance's method is the one place to hold the output back.
    stderr.write = (chunk, encoding, callback) => {
      this.#held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    };
  }

  async handleTestEvent(event) {
    if (event.name === 'test_done') {
      const failed = event.test.errors.length > 0;
      this.#release(failed, `test "${fullName(event.test)}"`);
    } else if (event.name === 'hook_failure') {
      this.#release(true, `${event.hook.type} hook${event.test ? ` of "${fullName(event.test)}"` : ''}`);
    }
  }

  async teardown() {
    // What came after the last test (afterAll) is shown if anything in the file failed.
    this.#release(this.#failed, 'the end of the file');
    if (this.#write) process.stderr.write = this.#write;
    this.#write = undefined;
    await super.teardown();
  }

  /** Prints the held output under a heading when `failed`, drops it otherwise. */
  #release(failed, what) {
    const held = this.#held.join('');
    this.#held = [];
    if (!failed) return;
    this.#failed = true;
    if (held === '' || !this.#write) return;
    this.#write.call(process.stderr, `\n──── stderr of the failing ${what} ────\n${held}${held.endsWith('\n') ? '' : '\n'}──── end of that output ────\n`);
  }
}

function fullName(test) {
  const names = [];
  for (let block = test.parent; block && block.name !== 'ROOT_DESCRIBE_BLOCK'; block = block.parent) names.unshift(block.name);
  return [...names, test.name].join(' › ');
}
