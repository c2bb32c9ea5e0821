import type { ClientListSummary, Interval, NpsReport } from '../reports/index.js';

/** How the console writes numbers: one place, used by the pages and by the live updates alike. */

export const int = (n: number) => n.toLocaleString('en-US');
export const signed = (n: number | null, digits = 1) => (n === null ? '–' : `${n > 0 ? '+' : ''}${n.toFixed(digits)}`);
export const interval = (ci: Interval | null) => (ci ? `${ci[0].toFixed(1)} to ${ci[1].toFixed(1)}` : '–');
export const percent = (fraction: number | null) => (fraction === null ? '–' : `${(100 * fraction).toFixed(1)}%`);
export const dateTime = (isoText: string | null) => (isoText ? isoText.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : '–');

/** The figures a list page updates in place: preformatted text, so the script only copies them. */
export interface LiveFigures {
  generatedAt: string;
  final: boolean;
  text: Record<LiveField, string>;
  /** Answers per score 0..10, and the largest count (the bars' scale). */
  scores: number[];
  /** The same counts as the page writes them. */
  scoreText: string[];
  maxScoreCount: number;
}

export const LIVE_FIELDS = ['nps', 'npsCi', 'responses', 'contacts', 'dialled', 'answered', 'finished', 'promoters', 'passives', 'detractors', 'state', 'generatedAt'] as const;
export type LiveField = (typeof LIVE_FIELDS)[number];

/** `summary` is the list's line of `clientLists` (the finished share is the API's, not recomputed here). */
export function formatLive(report: NpsReport, summary: ClientListSummary | undefined): LiveFigures {
  const scores = Array.from({ length: 11 }, (_, s) => report.scores[String(s)] ?? 0);
  return {
    generatedAt: report.generatedAt,
    final: report.final,
    text: {
      nps: signed(report.nps),
      npsCi: interval(report.npsCi95),
      responses: int(report.responses),
      contacts: int(report.contacts),
      dialled: int(report.funnel.dialled),
      answered: int(report.funnel.reached),
      finished: percent(summary?.progress ?? null),
      promoters: int(report.promoters),
      passives: int(report.passives),
      detractors: int(report.detractors),
      state: report.final ? 'final' : 'in progress',
      generatedAt: dateTime(report.generatedAt),
    },
    scores,
    scoreText: scores.map(int),
    maxScoreCount: Math.max(1, ...scores),
  };
}
