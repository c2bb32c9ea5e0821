/**
 * In-process notifications from the webhook handlers to the dialer loop: a call ended (its
 * concurrency slot can be released), or something changed that may make new work due.
 */
export class CallSignals {
  #endWaiters = new Map<number, Set<() => void>>();
  #changeWaiters = new Set<() => void>();

  notifyEnded(callId: number): void {
    const waiters = this.#endWaiters.get(callId);
    this.#endWaiters.delete(callId);
    waiters?.forEach((w) => w());
    this.notifyChange();
  }

  notifyChange(): void {
    const waiters = [...this.#changeWaiters];
    this.#changeWaiters.clear();
    waiters.forEach((w) => w());
  }

  /** Resolves on notifyEnded(callId). The caller must also check the database afterwards or before. */
  whenEnded(callId: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.#endWaiters.get(callId) ?? new Set();
      const done = () => {
        set.delete(done);
        // Forget the call once nobody waits for it, or every call would leave an empty set behind.
        if (set.size === 0 && this.#endWaiters.get(callId) === set) this.#endWaiters.delete(callId);
        resolve();
      };
      set.add(done);
      this.#endWaiters.set(callId, set);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Calls somebody is waiting for (for tests: it must not grow with the number of calls). */
  get waitedCalls(): number {
    return this.#endWaiters.size;
  }

  /** Resolves on the next notifyChange (or abort). */
  whenChanged(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#changeWaiters.delete(done);
        resolve();
      };
      this.#changeWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
