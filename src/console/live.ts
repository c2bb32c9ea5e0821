import type { Clock } from '../clock/index.js';
import type { ListStore } from '../contacts/index.js';
import { buildReport, clientLists, type NpsReport, type ReportDeps } from '../reports/index.js';
import { formatLive, type LiveFigures } from './format.js';

/**
 * What a list page shows live, built by the report's own `buildReport` (the client's audience), so
 * the console computes no figure of its own. Many open dashboards of one list share one build: a
 * list's report is rebuilt at most once per `minIntervalMs` of clock time, however many browsers
 * poll (a report of a big list costs up to a second of CPU, which the dialer's thread would lose).
 */
export class LiveReports {
  readonly #deps: ReportDeps & { lists: ListStore };
  readonly #clock: Clock;
  readonly #minIntervalMs: number;
  /** The build itself is cached, so that polls arriving while the list line is read share it. */
  readonly #cache = new Map<number, { builtAt: number; entry: Promise<LiveEntry> }>();

  constructor(options: { deps: ReportDeps & { lists: ListStore }; minIntervalMs: number }) {
    this.#deps = options.deps;
    this.#clock = options.deps.clock;
    this.#minIntervalMs = options.minIntervalMs;
  }

  /** The list's client report, at most `minIntervalMs` old. The caller has checked who may see it. */
  get(listId: number): Promise<LiveEntry> {
    const now = this.#clock.now();
    const cached = this.#cache.get(listId);
    if (cached && now - cached.builtAt < this.#minIntervalMs) return cached.entry;
    const entry = this.#build(listId);
    // Bounded by the number of lists; a deleted (erased) list's entry goes when asked for again.
    const built = { builtAt: now, entry };
    this.#cache.set(listId, built);
    // A failed build is not kept: the next poll tries again.
    entry.catch(() => {
      if (this.#cache.get(listId) === built) this.#cache.delete(listId);
    });
    return entry;
  }

  async #build(listId: number): Promise<LiveEntry> {
    const report = await buildReport(this.#deps, { listId, audience: 'client' });
    const summary = report.client ? (await clientLists(this.#deps, { clientId: report.client.id })).find((l) => l.id === listId) : undefined;
    return { report, figures: formatLive(report, summary) };
  }
}

interface LiveEntry {
  report: NpsReport;
  figures: LiveFigures;
}
