import type { Clock } from '../clock/index.js';
import { buildReport, clientLists, type NpsReport, type ReportDeps } from '../reports/index.js';
import { formatLive, type LiveFigures } from './format.js';

/**
 * What a list page shows live, built by the report's own `buildReport` (the client's audience), so
 * the console computes no figure of its own. Many open dashboards of one list share one build: a
 * list's report is rebuilt at most once per `minIntervalMs` of clock time, however many browsers
 * poll (a report of a big list costs up to a second of CPU, which the dialer's thread would lose).
 */
export class LiveReports {
  readonly #deps: ReportDeps;
  readonly #clock: Clock;
  readonly #minIntervalMs: number;
  readonly #cache = new Map<number, { builtAt: number; report: NpsReport; figures: LiveFigures }>();

  constructor(options: { deps: ReportDeps; minIntervalMs: number }) {
    this.#deps = options.deps;
    this.#clock = options.deps.clock;
    this.#minIntervalMs = options.minIntervalMs;
  }

  /** The list's client report, at most `minIntervalMs` old. The caller has checked who may see it. */
  get(listId: number): { report: NpsReport; figures: LiveFigures } {
    const now = this.#clock.now();
    const cached = this.#cache.get(listId);
    if (cached && now - cached.builtAt < this.#minIntervalMs) return cached;
    const report = buildReport(this.#deps, { listId, audience: 'client' });
    const summary = report.client ? clientLists(this.#deps, { clientId: report.client.id }).find((l) => l.id === listId) : undefined;
    const entry = { builtAt: now, report, figures: formatLive(report, summary) };
    // Bounded by the number of lists; a deleted (erased) list's entry goes when asked for again.
    this.#cache.set(listId, entry);
    return entry;
  }
}
