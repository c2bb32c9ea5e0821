import { createHash } from 'node:crypto';
import { formatMoney } from '../billing/index.js';
import { categoryOf, type NpsCategory } from '../ivr/index.js';
import { NO_VALUE_LABEL } from './csv.js';
import { DISPOSITION_KEYS, LOW_SAMPLE_RESPONSES, type ChangeSummary, type CommentItem, type DispositionKey, type Interval, type NpsReport, type SegmentRow } from './model.js';
import { NPS_CATEGORIES } from './stats.js';
import type { ReasonRow } from './why.js';

/**
 * The report as one self-contained HTML page: inline CSS, inline SVG charts, one small inline script
 * (the verbatims' filter, allowed by its hash in the page's CSP and the API's) and no external
 * asset, so it can be mailed, archived and opened offline. Every string that comes from
 * data (list and client names, attribute values, the question) goes through `esc`.
 */

export interface HtmlComment extends CommentItem {
  /** A data: URI (small recordings) or a link relative to the page; null when the file is missing. */
  audio: { src: string; embedded: boolean; contentType: string } | null;
}

export interface HtmlOptions {
  comments: HtmlComment[];
  /** All downloaded comments of the list; the page shows at most `comments.length`. */
  commentsTotal: number;
}

const COLOURS: Record<NpsCategory, string> = { promoter: '#2f9e5b', passive: '#e0a526', detractor: '#d64545' };
const GREY = '#a7b0ba';

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const int = (n: number) => n.toLocaleString('en-US');
const signed = (n: number, digits = 1) => `${n > 0 ? '+' : ''}${n.toFixed(digits)}`;
const interval = (ci: Interval | null) => (ci ? `${ci[0].toFixed(1)} to ${ci[1].toFixed(1)}` : '–');
const percent = (fraction: number | null) => (fraction === null ? '–' : `${(100 * fraction).toFixed(1)}%`);
const dateTime = (isoText: string | null) => (isoText ? isoText.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '–');

function hms(totalSeconds: number): string {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

const DISPOSITION_LABELS: Record<DispositionKey, string> = {
  notDialled: 'Not dialled',
  busy: 'Busy',
  unanswered: 'No answer',
  failed: 'Failed',
  rejected: 'Rejected',
  machine: 'Answering machine',
  answeredNoScore: 'Answered, no score',
  responded: 'Responded',
  optedOut: 'Opted out',
  suppressed: 'Suppressed (do not call)',
  capped: 'Frequency cap (not called)',
  inProgress: 'In progress',
};

const STYLE = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;background:#f5f7fa}
body{margin:0;padding:24px}main{max-width:980px;margin:0 auto}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:20px 24px;margin:0 0 18px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:16px 0 8px}
.muted{color:#5f6b7a}.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-size:12px;font-weight:600;vertical-align:middle}
.final{background:#e3f4ea;color:#1f6e40}.interim{background:#fff3d6;color:#8a5a00}
.headline{display:flex;gap:32px;align-items:center;flex-wrap:wrap}
.nps{font-size:64px;font-weight:700;line-height:1}.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;flex:1}
.kpi{background:#f5f7fa;border-radius:8px;padding:10px 12px}.kpi b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6eaef;vertical-align:middle}
th{font-weight:600;color:#5f6b7a;font-size:12px;text-transform:uppercase;letter-spacing:.03em}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.low td{color:#9aa3ad}tr.low td.val::after{content:" (low n)";font-size:11px}
.warn{background:#fff3d6;border-left:4px solid #e0a526;padding:8px 12px;border-radius:4px}
.comment{display:grid;grid-template-columns:90px 1fr;gap:4px 16px;padding:10px 0;border-bottom:1px solid #e6eaef}
.comment audio{width:100%;max-width:420px;height:32px}.score{font-weight:700;font-size:20px}
.question{font-style:italic}footer{font-size:12px;color:#5f6b7a}
`;

function svgHistogram(report: NpsReport): string {
  const counts = Array.from({ length: 11 }, (_, i) => report.scores[String(i)] ?? 0);
  const max = Math.max(1, ...counts);
  const width = 640;
  const height = 220;
  const barWidth = 44;
  const gap = (width - 40 - 11 * barWidth) / 10;
  const bars = counts
    .map((n, score) => {
      const h = Math.round((n / max) * 150);
      const x = 20 + score * (barWidth + gap);
      const y = 180 - h;
      const category: NpsCategory = categoryOf(score);
      return (
        `<g data-score="${score}"><rect x="${x.toFixed(1)}" y="${y}" width="${barWidth}" height="${h}" fill="${COLOURS[category]}" rx="3"><title>${score}: ${int(n)} (${category})</title></rect>` +
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${y - 6}" text-anchor="middle" font-size="12" fill="#1d2733">${int(n)}</text>` +
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="200" text-anchor="middle" font-size="13" fill="#5f6b7a">${score}</text></g>`
      );
    })
    .join('');
  return `<svg role="img" aria-label="Answers by score, 0 to 10" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px"><line x1="16" y1="180.5" x2="${width - 16}" y2="180.5" stroke="#c9d1da"/>${bars}</svg>`;
}

function svgCategoryBar(report: NpsReport): string {
  if (report.responses === 0) return '';
  const width = 640;
  let x = 0;
  const parts = (['detractor', 'passive', 'promoter'] as const)
    .map((category) => {
      const n = report[`${category}s`];
      const w = (n / report.responses) * width;
      const label = `${category[0]!.toUpperCase()}${category.slice(1)}s ${((100 * n) / report.responses).toFixed(1)}%`;
      const part = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="28" fill="${COLOURS[category]}"><title>${label} (${int(n)})</title></rect>${
        w > 110 ? `<text x="${(x + w / 2).toFixed(1)}" y="19" text-anchor="middle" font-size="13" fill="#fff">${label}</text>` : ''
      }`;
      x += w;
      return part;
    })
    .join('');
  return `<svg role="img" aria-label="Detractors, passives and promoters" viewBox="0 0 ${width} 28" width="100%" style="max-width:${width}px">${parts}</svg>`;
}

function svgFunnel(report: NpsReport): string {
  const f = report.funnel;
  // Labels stay short enough for the 190 px before the bars (the browser test measures them); the
  // note under the chart says what "eligible" means.
  const stages: [string, number][] = [
    ['Contacts', f.contacts],
    ['Eligible to call', f.eligible],
    ['Dialled', f.dialled],
    ['Reached a person', f.reached],
    ['Answered 0–10', f.responded],
    ['Left a comment', f.commented],
  ];
  const max = Math.max(1, f.contacts);
  const rows = stages
    .map(([label, n], i) => {
      const w = Math.max(1, (n / max) * 380);
      const y = i * 34;
      return (
        `<text data-part="label" x="0" y="${y + 19}" font-size="13" fill="#1d2733">${esc(label)}</text>` +
        `<rect data-part="bar" x="190" y="${y + 4}" width="${w.toFixed(1)}" height="22" rx="3" fill="#4a78b5" opacity="${(1 - i * 0.1).toFixed(2)}"/>` +
        `<text x="${(196 + w).toFixed(1)}" y="${y + 19}" font-size="12" fill="#5f6b7a">${int(n)} (${percent(f.contacts === 0 ? null : n / f.contacts)})</text>`
      );
    })
    .join('');
  return `<svg role="img" aria-label="Disposition funnel" viewBox="0 0 680 ${stages.length * 34}" width="100%" style="max-width:680px">${rows}</svg>`;
}

/** NPS on a −100…+100 axis: a bar from 0 to the value and the interval as a whisker. */
function svgNpsBar(nps: number | null, ci: Interval | null, muted: boolean): string {
  const width = 220;
  const scale = (v: number) => ((v + 100) / 200) * width;
  const colour = muted ? GREY : nps === null ? GREY : nps >= 0 ? COLOURS.promoter : COLOURS.detractor;
  const bar =
    nps === null ? '' : `<rect x="${Math.min(scale(0), scale(nps)).toFixed(1)}" y="4" width="${Math.abs(scale(nps) - scale(0)).toFixed(1)}" height="10" fill="${colour}" opacity="0.85"/>`;
  const whisker = ci
    ? `<line x1="${scale(ci[0]).toFixed(1)}" x2="${scale(ci[1]).toFixed(1)}" y1="9" y2="9" stroke="#1d2733" stroke-width="1.5"/>` +
      `<line x1="${scale(ci[0]).toFixed(1)}" x2="${scale(ci[0]).toFixed(1)}" y1="5" y2="13" stroke="#1d2733"/><line x1="${scale(ci[1]).toFixed(1)}" x2="${scale(ci[1]).toFixed(1)}" y1="5" y2="13" stroke="#1d2733"/>`
    : '';
  return `<svg viewBox="0 0 ${width} 18" width="${width}" height="18" aria-hidden="true"><line x1="${scale(0)}" x2="${scale(0)}" y1="0" y2="18" stroke="#c9d1da"/>${bar}${whisker}</svg>`;
}

function segmentTable(attribute: string, rows: SegmentRow[]): string {
  const body = rows
    .map(
      (r) =>
        `<tr class="${r.lowSample ? 'low' : ''}"><td class="val">${esc(r.value ?? NO_VALUE_LABEL)}</td><td class="num">${int(r.contacts)}</td><td class="num">${int(r.responses)}</td>` +
        `<td class="num">${r.nps === null ? '–' : signed(r.nps)}</td><td class="num">${interval(r.npsCi95)}</td><td>${svgNpsBar(r.nps, r.npsCi95, r.lowSample)}</td></tr>`,
    )
    .join('');
  return `<h3>By ${esc(attribute)}</h3><table><thead><tr><th>${esc(attribute)}</th><th class="num">Contacts</th><th class="num">Responses</th><th class="num">NPS</th><th class="num">95% CI</th><th>−100 · 0 · +100</th></tr></thead><tbody>${body}</tbody></table>`;
}

function agentsSection(report: NpsReport): string {
  const agents = report.agents;
  if (!agents) return '';
  const body = agents.rows
    .map(
      (r) =>
        `<tr class="${r.lowSample ? 'low' : ''}"><td class="num">${r.rank ?? '–'}</td><td class="val">${esc(r.agent)}</td><td class="num">${int(r.responses)}</td>` +
        `<td class="num">${r.nps === null ? '–' : signed(r.nps)}</td><td class="num">${interval(r.npsCi95)}</td><td class="num">${int(r.detractors)}</td><td class="num">${int(r.comments)}</td>` +
        `<td>${svgNpsBar(r.nps, r.npsCi95, r.lowSample)}</td></tr>`,
    )
    .join('');
  return `<section data-testid="agents"><h2>Agents</h2><p class="muted">${int(agents.ranked)} of ${int(agents.rows.length)} agents ranked. An agent is ranked from ${agents.minResponses} answers; greyed rows have fewer and are not ranked. Agents whose intervals overlap may differ by chance alone.</p>
<table><thead><tr><th class="num">Rank</th><th>Agent</th><th class="num">Responses</th><th class="num">NPS</th><th class="num">95% CI</th><th class="num">Detractors</th><th class="num">Comments</th><th>−100 · 0 · +100</th></tr></thead><tbody>${body}</tbody></table></section>`;
}

function followUpSection(report: NpsReport): string {
  const f = report.followUp;
  if (f.cases === 0) return '';
  const overdueRows = f.overdueCases
    .map((c) => `<tr><td class="num">${c.id}</td><td class="num">${c.score}</td><td>${esc(c.agent ?? '–')}</td><td>${esc(c.owner ?? 'unassigned')}</td><td>${dateTime(c.dueAt)}</td><td class="num">${int(c.overdueHours)} h</td></tr>`)
    .join('');
  const overdue =
    f.overdue === 0
      ? '<p>No case is overdue.</p>'
      : `<h3>Overdue cases (${int(f.overdue)})</h3>${f.overdue > f.overdueCases.length ? `<p class="muted">The ${int(f.overdueCases.length)} longest overdue are shown.</p>` : ''}<table data-testid="overdue"><thead><tr><th class="num">Case</th><th class="num">Score</th><th>Agent</th><th>Owner</th><th>Due</th><th class="num">Overdue</th></tr></thead><tbody>${overdueRows}</tbody></table>`;
  return `<section data-testid="follow-up"><h2>Follow-up of detractors</h2>
<div class="kpis"><div class="kpi">Cases<b>${int(f.cases)}</b></div><div class="kpi">Followed up<b data-testid="follow-up-completion">${percent(f.completionRate)}</b></div>
<div class="kpi">Open<b>${int(f.open)}</b></div><div class="kpi">Overdue<b data-testid="follow-up-overdue">${int(f.overdue)}</b></div></div>
<p class="muted">A case is followed up once it is contacted or resolved (${int(f.contacted)} contacted, ${int(f.resolved)} resolved${f.followedUpLate ? `, ${int(f.followedUpLate)} of them after the deadline` : ''}); it is overdue while still open after its deadline (as of ${dateTime(report.generatedAt)}).</p>
${overdue}</section>`;
}

function describeChange(change: ChangeSummary): string {
  const verdict = change.significant
    ? 'statistically significant at the 5% level'
    : 'not statistically significant at the 5% level: it may be noise';
  const test = change.method === 'paired-t' ? `t = ${change.statistic?.toFixed(2) ?? '–'}, ${change.degreesOfFreedom ?? '–'} df` : `z = ${change.statistic?.toFixed(2) ?? '–'}`;
  return `<b>${signed(change.nps)}</b> points (95% CI ${interval(change.ci95)}; ${test}; p = ${change.pValue.toFixed(3)}) — ${verdict}.`;
}

function waveSection(report: NpsReport): string {
  const wave = report.wave;
  if (!wave) return '';
  const p = wave.previous;
  const m = wave.panel.migration;
  const label: Record<NpsCategory, string> = { promoter: 'Promoter', passive: 'Passive', detractor: 'Detractor' };
  const migration =
    wave.panel.matched === 0
      ? '<p class="muted">Nobody answered in both waves, so there is no migration table.</p>'
      : `<h3>People who answered in both waves (${int(wave.panel.matched)})</h3><table data-testid="migration"><thead><tr><th>Previous wave ↓ / this wave →</th>${NPS_CATEGORIES.map((c) => `<th class="num">${label[c]}</th>`).join('')}</tr></thead><tbody>${NPS_CATEGORIES.map(
          (from) => `<tr><td>${label[from]}</td>${NPS_CATEGORIES.map((to) => `<td class="num">${int(m[from][to])}</td>`).join('')}</tr>`,
        ).join('')}</tbody></table>${wave.panel.change ? `<p>Paired change for these people: ${describeChange(wave.panel.change)}</p>` : ''}`;
  return `<section data-testid="wave"><h2>Change since the previous wave</h2>
<table><thead><tr><th>Wave</th><th class="num">Responses</th><th class="num">NPS</th><th class="num">95% CI</th><th>−100 · 0 · +100</th></tr></thead><tbody>
<tr><td>${esc(p.listName)} (list ${p.listId})</td><td class="num">${int(p.responses)}</td><td class="num">${p.nps === null ? '–' : signed(p.nps)}</td><td class="num">${interval(p.npsCi95)}</td><td>${svgNpsBar(p.nps, p.npsCi95, false)}</td></tr>
<tr><td>${esc(report.listName)} (this list)</td><td class="num">${int(report.responses)}</td><td class="num">${report.nps === null ? '–' : signed(report.nps)}</td><td class="num">${interval(report.npsCi95)}</td><td>${svgNpsBar(report.nps, report.npsCi95, false)}</td></tr>
</tbody></table>
<p data-testid="wave-change">${wave.change ? `Change: ${describeChange(wave.change)}` : 'One of the waves has no answers yet, so no change can be computed.'}</p>
${migration}</section>`;
}

/**
 * Filters the verbatims by theme, category and words, in the page itself. Plain DOM, no library:
 * the page must work offline and its CSP allows this script by hash only.
 */
export const WHY_SCRIPT = `(function(){var t=document.getElementById('why-theme'),c=document.getElementById('why-category'),q=document.getElementById('why-search'),n=document.getElementById('why-shown');if(!t||!c||!q)return;function f(){var th=t.value,ca=c.value,w=q.value.trim().toLowerCase(),s=0;document.querySelectorAll('[data-verbatim]').forEach(function(e){var ok=(!th||(' '+e.getAttribute('data-themes')+' ').indexOf(' '+th+' ')>=0)&&(!ca||e.getAttribute('data-category')===ca)&&(!w||e.textContent.toLowerCase().indexOf(w)>=0);e.style.display=ok?'':'none';if(ok)s++;});if(n)n.textContent=String(s);}t.addEventListener('change',f);c.addEventListener('change',f);q.addEventListener('input',f);f();})();`;
/** The CSP source that allows WHY_SCRIPT and nothing else. */
export const WHY_SCRIPT_HASH = `'sha256-${createHash('sha256').update(WHY_SCRIPT).digest('base64')}'`;

function reasonTable(rows: ReasonRow[], what: string): string {
  const max = Math.max(1, ...rows.map((r) => r.impact));
  return `<table><thead><tr><th>${what}</th><th class="num">Mentions</th><th class="num">Of detractors</th><th class="num">Of passives</th><th class="num">Of promoters</th><th class="num">NPS of those naming it</th><th>NPS impact (points)</th>${
    rows.some((r) => r.valueAtRisk !== null) ? '<th class="num">Value at risk</th>' : ''
  }</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr data-testid="reason-${esc(r.key)}"><td>${esc(r.label)}</td><td class="num">${int(r.mentions)}</td><td class="num">${percent(r.shareOfDetractors)}</td><td class="num">${percent(r.shareOfPassives)}</td><td class="num">${percent(r.shareOfPromoters)}</td><td class="num">${r.nps === null ? '–' : signed(r.nps)}</td><td><svg width="120" height="12" role="img" aria-label="${r.impact.toFixed(1)} points"><rect width="${((120 * r.impact) / max).toFixed(1)}" height="12" fill="${COLOURS.detractor}"/></svg> ${r.impact.toFixed(1)}${
          r.impactInterval ? ` <span class="muted">(${r.impactInterval.low.toFixed(1)}–${r.impactInterval.high.toFixed(1)})</span>` : ''
        }</td>${r.valueAtRisk !== null ? `<td class="num">${int(Math.round(r.valueAtRisk))}</td>` : ''}</tr>`,
    )
    .join('')}</tbody></table>`;
}

function whySection(report: NpsReport): string {
  const why = report.why;
  if (why.themes.length === 0 && why.keypadReasons.length === 0 && !why.revenueAtRisk) return '';
  const verbatims = why.verbatims.flatMap((group) => group.items.map((v) => ({ ...v, group: group.theme })));
  // One card per comment, however many themes it names.
  const seen = new Set<number>();
  const cards = verbatims
    .filter((v) => !seen.has(v.responseId) && seen.add(v.responseId))
    .sort((a, b) => a.score - b.score || a.responseId - b.responseId)
    .map(
      (v) =>
        `<div class="comment" data-verbatim data-themes="${esc(v.themes.join(' '))}" data-category="${v.category}"><div><span class="score" style="color:${COLOURS[v.category]}">${v.score}</span> <span class="muted">${v.category}</span></div><div><div>“${esc(v.text)}”</div><div class="muted">${esc(
          v.themes.join(', '),
        )}${v.sentiment ? ` · ${esc(v.sentiment)}` : ''}${Object.entries(v.segment).length ? ` · ${Object.entries(v.segment).map(([k, val]) => `${esc(k)}: ${esc(val)}`).join(', ')}` : ''}</div></div></div>`,
    )
    .join('');
  const risk = why.revenueAtRisk;
  const riskBlock = risk
    ? `<h3>Value at risk${risk.valueColumn ? ` (${esc(risk.valueColumn)})` : ''}</h3><table><tbody><tr><td>Value held by respondents</td><td class="num">${int(Math.round(risk.totalValue))}</td></tr><tr><td>Held by detractors</td><td class="num" data-testid="value-at-risk">${int(
        Math.round(risk.detractorValue),
      )} (${percent(risk.detractorShare)})</td></tr><tr><td>Value-weighted NPS</td><td class="num">${risk.valueWeightedNps === null ? '–' : signed(risk.valueWeightedNps)}</td></tr></tbody></table>`
    : '';
  const waves = why.themeWaves;
  const waveBlock =
    waves && waves.rows.length
      ? `<h3>Themes against ${esc(waves.previousListName)}</h3><p class="muted">Share of the comments with words (${int(waves.comments.before)} then ${int(waves.comments.after)}).${
          waves.tooFew ? ` Fewer than ${waves.minimumComments} comments with words in a wave: shown, not tested.` : ' A change is marked when a two-proportion test gives p &lt; 0.05.'
        }</p><table data-testid="theme-waves"><thead><tr><th scope="col">Theme</th><th scope="col" class="num">Before</th><th scope="col" class="num">Now</th><th scope="col" class="num">Change</th><th scope="col" class="num">p</th></tr></thead><tbody>${waves.rows
          .map(
            (r) =>
              `<tr${r.significant ? ' data-significant' : ''}><td>${esc(r.label)}</td><td class="num">${percent(r.before.share)}</td><td class="num">${percent(r.after.share)}</td><td class="num">${r.change === null ? '–' : `${signed(r.change)} pts${r.significant ? ' *' : ''}`}</td><td class="num">${r.pValue === null ? '–' : r.pValue < 0.001 ? '&lt; 0.001' : r.pValue.toFixed(3)}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '';
  const themeOptions = why.themes.map((t) => `<option value="${esc(t.key)}">${esc(t.label)}</option>`).join('');
  return `<section data-testid="why"><h2>Why they score as they do</h2>
<p>${int(why.commentsWithText)} comments with words${why.silentRecordings ? `; ${int(why.silentRecordings)} recordings held no speech and are not counted` : ''}${why.textPending ? `; ${int(why.textPending)} texts still awaited` : ''}. The NPS impact of a reason is the points the list would gain if the detractors naming it were passives (95% interval).</p>
${why.themes.length ? reasonTable(why.themes, 'Theme') : ''}${waveBlock}${why.keypadReasons.length ? `<h3>Reasons pressed on the keypad</h3>${reasonTable(why.keypadReasons, 'Reason')}` : ''}${riskBlock}
${cards ? `<h3>What they said</h3><div class="filters"><label>Theme <select id="why-theme"><option value="">all</option>${themeOptions}</select></label> <label>Category <select id="why-category"><option value="">all</option><option value="detractor">detractors</option><option value="passive">passives</option><option value="promoter">promoters</option></select></label> <label>Words <input id="why-search" type="search"></label> <span class="muted"><span id="why-shown"></span> shown</span></div>${cards}<script>${WHY_SCRIPT}</script>` : ''}</section>`;
}

function commentsSection(report: NpsReport, options: HtmlOptions): string {
  if (report.comments.recorded === 0) return '';
  const items = options.comments
    .map((c) => {
      const player = c.audio
        ? `<audio controls preload="none" src="${esc(c.audio.src)}"></audio>${c.audio.embedded ? '' : ` <a href="${esc(c.audio.src)}">download</a>`}`
        : '<span class="muted">recording not available in this copy</span>';
      return `<div class="comment"><div><span class="score" style="color:${COLOURS[c.category]}">${c.score}</span> <span class="muted">${c.category}</span></div><div><div class="muted">Row ${c.rowNumber} · ${esc(c.maskedPhone)}${c.seconds === null ? '' : ` · ${c.seconds} s`}</div>${player}</div></div>`;
    })
    .join('');
  const more =
    options.commentsTotal > options.comments.length
      ? `<p class="muted">Showing ${int(options.comments.length)} of ${int(options.commentsTotal)} recorded comments, detractors first; the CSV lists them all.</p>`
      : '';
  const pending = report.comments.pending + report.comments.failed;
  return `<section data-testid="comments"><h2>Comments</h2><p>${int(report.comments.recorded)} callers left a voice comment (${hms(report.comments.totalSeconds)} in total).${
    pending > 0 ? ` ${int(report.comments.pending)} recordings are still downloading and ${int(report.comments.failed)} could not be downloaded.` : ''
  }</p>${more}${items}</section>`;
}

export function renderHtml(report: NpsReport, options: HtmlOptions): string {
  const title = `NPS report — ${report.listName}`;
  const status = report.final ? '<span class="badge final">Final</span>' : '<span class="badge interim">Interim: calls still in progress</span>';
  const headlineNps = report.nps === null ? '–' : signed(report.nps);
  const b = report.billing;
  const dispositionRows = DISPOSITION_KEYS.filter((k) => k !== 'inProgress' || report.dispositions.inProgress > 0)
    .map((k) => `<tr><td>${DISPOSITION_LABELS[k]}</td><td class="num">${int(report.dispositions[k])}</td><td class="num">${percent(report.contacts === 0 ? null : report.dispositions[k] / report.contacts)}</td></tr>`)
    .join('');
  const rate = (label: string, r: NpsReport['responseRate']) => `<tr><td>${label}</td><td class="num">${percent(r.value)}</td><td class="num">${int(r.numerator)} / ${int(r.denominator)}</td></tr>`;
  const segments = Object.entries(report.segments)
    .map(([attribute, rows]) => segmentTable(attribute, rows))
    .join('');
  const omitted = report.segmentsOmitted.length
    ? `<p class="muted">Not broken down: ${report.segmentsOmitted.map((o) => `${esc(o.attribute)} (${esc(o.reason)})`).join('; ')}.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${WHY_SCRIPT_HASH}; style-src 'unsafe-inline'; img-src data:; media-src data: http: https: file:; base-uri 'none'; form-action 'none'">
<title>${esc(title)}</title><style>${STYLE}</style></head><body><main>
<section><h1>${esc(title)} ${status}</h1>
<div class="muted">${report.client ? `Client: ${esc(report.client.name)} · ` : ''}List ${report.listId} · Fieldwork ${dateTime(report.fieldwork.firstCallAt)} – ${dateTime(report.fieldwork.lastCallAt)} · Generated ${dateTime(report.generatedAt)}</div>
<p>Outbound automated call, answers on the keypad (0–10), language ${esc(report.language)}. Question: <span class="question">“${esc(report.question)}”</span></p></section>
<section data-testid="headline"><h2>Net Promoter Score</h2><div class="headline">
<div><div class="nps" data-testid="nps">${headlineNps}</div><div class="muted">95% CI <span data-testid="nps-ci">${interval(report.npsCi95)}</span></div></div>
<div class="kpis"><div class="kpi">Responses<b data-testid="responses">${int(report.responses)}</b></div><div class="kpi">Response rate<b>${percent(report.responseRate.value)}</b></div>
<div class="kpi">Mean score<b>${report.meanScore === null ? '–' : report.meanScore.toFixed(2)}</b></div><div class="kpi">Contacts<b>${int(report.contacts)}</b></div></div></div>
${report.lowSample && report.responses > 0 ? `<p class="warn">Fewer than ${LOW_SAMPLE_RESPONSES} answers: the interval is wide and the score can move a lot with a few more answers.</p>` : ''}
${report.responses === 0 ? '<p class="warn">No answers yet.</p>' : ''}
<h3>Promoters, passives and detractors</h3>${svgCategoryBar(report)}
<h3>Answers by score</h3>${svgHistogram(report)}
<p class="muted">NPS = % promoters (9–10) − % detractors (0–6), n = ${int(report.responses)}. Interval: adjusted Wald${
    report.npsMethod.finitePopulationCorrection ? `, with the finite population correction (${int(report.responses)} of ${int(report.npsMethod.population)} eligible contacts answered)` : ''
  }. Phone (IVR) answers run more positive than web surveys; compare with your own earlier phone waves.</p></section>
<section data-testid="billing"><h2>Billing</h2><table><tbody>
<tr><td>Billable calls (answered by a person)</td><td class="num">${int(b.billableCalls)}</td></tr>
<tr><td>Billable time</td><td class="num">${hms(b.billableSeconds)} (${int(b.billableSeconds)} s)</td></tr>
<tr><td>Amount</td><td class="num" data-testid="amount">${b.currency ? esc(formatMoney(b.amountMinor, b.currency)) : '–'}</td></tr>
</tbody></table></section>
${whySection(report)}
${waveSection(report)}
<section data-testid="funnel"><h2>Who was reached</h2>${svgFunnel(report)}
<p class="muted">Eligible to call: not on the do-not-call list and not held back by a frequency cap.</p>
<table><thead><tr><th>Rate</th><th class="num">Value</th><th class="num">Numerator / denominator</th></tr></thead><tbody>
${rate('Response rate (answers / eligible contacts)', report.responseRate)}${rate('Contact rate (reached a person / eligible)', report.contactRate)}${rate('Cooperation rate (answers / reached)', report.cooperationRate)}</tbody></table>
<h3>Final disposition of every contact</h3><table><thead><tr><th>Disposition</th><th class="num">Contacts</th><th class="num">Share</th></tr></thead><tbody>${dispositionRows}</tbody></table>
<p class="muted">${int(report.calls.total)} call attempts; ${int(report.calls.answeredByPerson)} answered by a person, ${int(report.calls.answeredByMachine)} by a machine${report.calls.answeredUnserved > 0 ? `; ${int(report.calls.answeredUnserved)} answered while the survey could not be played (failed attempts, not billed)` : ''}.</p></section>
<section data-testid="segments"><h2>Segments</h2><p class="muted">Greyed rows have fewer than ${LOW_SAMPLE_RESPONSES} answers. Many segments compared at once will show some differences by chance alone.</p>${segments}${omitted}</section>
${agentsSection(report)}
${followUpSection(report)}
${commentsSection(report, options)}
<footer>nps-dialer report, schema ${report.schemaVersion}. Machine-readable versions: JSON and CSV.</footer>
</main></body></html>
`;
}
