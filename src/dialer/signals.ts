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
        resolve();
      };
      set.add(done);
      this.#endWaiters.set(callId, set);
      signal.addEventListener('abort', done, { once: true });
    });
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
