/** A signal as it travels between the nodes of a cluster (cluster/signal-bridge.ts). */
export type SignalEvent = { kind: 'ended'; callId: number } | { kind: 'change' };

/**
 * Notifications from the webhook handlers to the dialer loop: a call ended (its concurrency slot
 * can be released), or something changed that may make new work due. In one process they are
 * in-process; in a cluster, `broadcast` carries each to the other nodes, which `deliver` it — the
 * webhook of a call may reach any node, and only one dials.
 */
export class CallSignals {
  #endWaiters = new Map<number, Set<() => void>>();
  #changeWaiters = new Set<() => void>();
  #broadcast: ((event: SignalEvent) => void) | undefined;

  /** Carries every signal of this node to the others from now on. */
  broadcastTo(broadcast: (event: SignalEvent) => void): void {
    this.#broadcast = broadcast;
  }

  notifyEnded(callId: number): void {
    this.#ended(callId);
    this.#broadcast?.({ kind: 'ended', callId });
  }

  notifyChange(): void {
    this.#changed();
    this.#broadcast?.({ kind: 'change' });
  }

  /** A signal from another node: acted on here, not sent on. */
  deliver(event: SignalEvent): void {
    if (event.kind === 'ended') this.#ended(event.callId);
    else this.#changed();
  }

  /**
   * Wakes every waiter to look at the database again: signals may have been missed (the bridge
   * to the other nodes was down). Each waiter checks its call's state and waits again.
   */
  wakeAll(): void {
    for (const callId of [...this.#endWaiters.keys()]) this.#ended(callId);
    this.#changed();
  }

  #ended(callId: number): void {
    const waiters = this.#endWaiters.get(callId);
    this.#endWaiters.delete(callId);
    waiters?.forEach((w) => w());
    this.#changed();
  }

  #changed(): void {
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
