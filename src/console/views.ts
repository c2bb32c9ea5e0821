import { CASE_STATUSES } from '../db/schema/index.js';
import type { CaseView } from '../followup/index.js';
import { categoryOf, type NpsCategory } from '../ivr/index.js';
import { esc, type ClientListSummary, type CommentItem, type NpsReport, type SegmentRow } from '../reports/index.js';
import { dateTime, int, interval, percent, signed, type LiveFigures } from './format.js';
import type { ConsoleIdentity } from './session.js';

const CATEGORY_CLASS: Record<NpsCategory, string> = { detractor: 'det', passive: 'pas', promoter: 'pro' };

/**
 * The console's pages: server-rendered HTML from template literals. Every value from the data goes
 * through `esc` (the HTML report's escape), so a list name or an attribute cannot become markup.
 * No inline script or style: the Content-Security-Policy allows only /console/assets.
 */

export interface PageFrame {
  title: string;
  identity?: ConsoleIdentity | undefined;
  csrfToken?: string | undefined;
}

const ASSET_VERSION = '1';

export function page(frame: PageFrame, body: string): string {
  const who = frame.identity?.kind === 'client' ? esc(frame.identity.clientName) : frame.identity?.kind === 'operator' ? 'Operator' : '';
  const nav = frame.identity
    ? `<nav aria-label="Console"><a href="${frame.identity.kind === 'operator' ? '/console/operator' : '/console/lists'}">${frame.identity.kind === 'operator' ? 'Dialer' : 'Lists'}</a>
      <span class="who">${who}</span>
      <form method="post" action="/console/sign-out" class="inline">${csrfField(frame.csrfToken)}<button type="submit">Sign out</button></form></nav>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(frame.title)} — nps-dialer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css?v=${ASSET_VERSION}">
<script src="/console/assets/console.js?v=${ASSET_VERSION}" defer></script>
</head><body>
<header><a class="brand" href="/console">nps-dialer</a>${nav}</header>
<main id="main">${body}</main>
</body></html>`;
}

const csrfField = (token: string | undefined) => (token ? `<input type="hidden" name="_csrf" value="${esc(token)}">` : '');

export function signInPage(options: { operator: boolean; error?: string | undefined; operatorEnabled: boolean }): string {
  const error = options.error ? `<p class="error" role="alert">${esc(options.error)}</p>` : '';
  if (options.operator) {
    const body = options.operatorEnabled
      ? `<form method="post" action="/console/operator/sign-in" class="card">
          <label for="token">Operator token (CONSOLE_OPERATOR_TOKEN)</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required>
          <button type="submit">Sign in</button></form>`
      : `<p>The operator view is off: set <code>CONSOLE_OPERATOR_TOKEN</code> (docs/configuration.md) and restart.</p>`;
    return page({ title: 'Operator sign-in' }, `<h1>Operator sign-in</h1>${error}${body}<p><a href="/console/sign-in">Client sign-in</a></p>`);
  }
  return page(
    { title: 'Sign in' },
    `<h1>Sign in</h1>${error}
    <form method="post" action="/console/sign-in" class="card">
      <label for="apiKey">Your API key</label>
      <input id="apiKey" name="apiKey" type="password" autocomplete="current-password" spellcheck="false" required aria-describedby="apiKeyHelp">
      <p id="apiKeyHelp" class="hint">The key your survey provider gave you (it starts with <code>npsk_</code>). It is exchanged for a session that ends when you sign out or after a while unused.</p>
      <button type="submit">Sign in</button>
    </form>
    <p><a href="/console/operator/sign-in">Operator sign-in</a></p>`,
  );
}

export function errorPage(frame: PageFrame, status: number, message: string): string {
  return page({ ...frame, title: `Error ${status}` }, `<h1>${status === 404 ? 'Not found' : 'Something is wrong'}</h1><p class="error" role="alert">${esc(message)}</p><p><a href="/console">Back to the console</a></p>`);
}

export interface ListLine {
  summary: ClientListSummary;
  figures: LiveFigures;
}

export function listsPage(frame: PageFrame, lines: ListLine[]): string {
  const rows = lines
    .map(
      ({ summary: l, figures: f }) => `<tr>
      <th scope="row"><a href="/console/lists/${l.id}">${esc(l.name)}</a></th>
      <td class="num">${f.text.contacts}</td><td class="num">${f.text.dialled}</td><td class="num">${f.text.answered}</td><td class="num">${f.text.responses}</td>
      <td><progress max="1" value="${l.progress ?? 0}" aria-label="Finished share of ${esc(l.name)}"></progress> ${percent(l.progress)}</td>
      <td class="num">${f.text.nps}</td><td>${f.final ? 'final' : 'in progress'}</td></tr>`,
    )
    .join('');
  const table = lines.length
    ? `<div class="scroll"><table data-testid="lists"><caption>Your lists, newest first</caption>
      <thead><tr><th scope="col">List</th><th scope="col">Contacts</th><th scope="col">Dialled</th><th scope="col">Answered</th><th scope="col">Responses</th><th scope="col">Finished</th><th scope="col">NPS</th><th scope="col">State</th></tr></thead>
      <tbody>${rows}</tbody></table></div>`
    : '<p>No lists yet.</p>';
  return page(frame, `<h1>Your surveys</h1>${table}`);
}

export interface ListPageInput {
  report: NpsReport;
  figures: LiveFigures;
  /** Where the page polls for its figures. */
  liveUrl: string;
  livePollMs: number;
  /** Download links by format (the signed-link view has only its own). */
  downloads: { format: string; href: string; label: string }[];
  /** Detractor cases; null in the read-only (signed-link) view. */
  cases: CaseView[] | null;
  comments: { items: CommentItem[]; total: number };
  recordingHref: (comment: CommentItem) => string;
  readOnly: boolean;
}

export function listPage(frame: PageFrame, input: ListPageInput): string {
  const { report: r, figures: f } = input;
  const headline = `<section aria-labelledby="score-h" class="card" data-live-url="${esc(input.liveUrl)}" data-live-interval-ms="${input.livePollMs}">
    <h2 id="score-h">Net Promoter Score</h2>
    <p class="big"><span data-live="nps" data-testid="nps">${f.text.nps}</span></p>
    <p>95% interval <span data-live="npsCi" data-testid="nps-ci">${f.text.npsCi}</span>; from <span data-live="responses" data-testid="responses">${f.text.responses}</span> responses
      (<span data-live="promoters">${f.text.promoters}</span> promoters, <span data-live="passives">${f.text.passives}</span> passives, <span data-live="detractors">${f.text.detractors}</span> detractors).</p>
    <dl class="figures">
      <div><dt>Contacts</dt><dd data-live="contacts">${f.text.contacts}</dd></div>
      <div><dt>Dialled</dt><dd data-live="dialled">${f.text.dialled}</dd></div>
      <div><dt>Answered</dt><dd data-live="answered">${f.text.answered}</dd></div>
      <div><dt>Finished</dt><dd data-live="finished" data-testid="finished">${f.text.finished}</dd></div>
      <div><dt>State</dt><dd data-live="state" data-testid="state">${f.text.state}</dd></div>
    </dl>
    <p class="hint">Figures as of <span data-live="generatedAt">${f.text.generatedAt}</span>${f.final ? '' : '; they update while the list is dialled'}. <span data-live-status role="status"></span></p>
  </section>`;
  const distribution = `<section aria-labelledby="dist-h" class="card"><h2 id="dist-h">Answers by score, 0 to 10</h2>
    <table class="dist" data-testid="distribution"><thead><tr><th scope="col">Score</th><th scope="col">Answers</th><th scope="col"><span class="sr">Share of the largest</span></th></tr></thead><tbody>
    ${f.scores
      .map(
        (count, score) =>
          `<tr class="${CATEGORY_CLASS[categoryOf(score)]}"><th scope="row">${score}</th><td class="num" data-live-score="${score}">${int(count)}</td>
          <td><meter min="0" max="${f.maxScoreCount}" value="${count}" data-live-meter="${score}" aria-label="Answers scoring ${score}">${int(count)}</meter></td></tr>`,
      )
      .join('')}</tbody></table></section>`;
  const downloads = `<section aria-labelledby="dl-h" class="card noprint"><h2 id="dl-h">Download the report</h2><ul class="downloads">
    ${input.downloads.map((d) => `<li><a href="${esc(d.href)}" download data-testid="download-${esc(d.format)}">${esc(d.label)}</a></li>`).join('')}</ul></section>`;
  return page(
    frame,
    `<h1>${esc(r.listName)}</h1>
    <p class="hint">${r.client ? `${esc(r.client.name)} · ` : ''}fieldwork ${dateTime(r.fieldwork.firstCallAt)} to ${dateTime(r.fieldwork.lastCallAt)}${input.readOnly ? ' · read-only link' : ''}</p>
    ${headline}${distribution}${waves(r)}${segments(r)}${agents(r)}${input.cases === null ? '' : cases(frame, input.cases)}${comments(input)}${downloads}`,
  );
}

function waves(r: NpsReport): string {
  if (!r.wave) return '';
  const p = r.wave.previous;
  const change = r.wave.change;
  return `<section aria-labelledby="waves-h" class="card"><h2 id="waves-h">Waves side by side</h2><div class="scroll"><table data-testid="waves">
    <thead><tr><th scope="col">Wave</th><th scope="col">Contacts</th><th scope="col">Responses</th><th scope="col">NPS</th><th scope="col">95% interval</th></tr></thead><tbody>
    <tr><th scope="row">${esc(p.listName)} (previous)</th><td class="num">${int(p.contacts)}</td><td class="num">${int(p.responses)}</td><td class="num">${signed(p.nps)}</td><td>${interval(p.npsCi95)}</td></tr>
    <tr><th scope="row">${esc(r.listName)} (this one)</th><td class="num">${int(r.contacts)}</td><td class="num">${int(r.responses)}</td><td class="num">${signed(r.nps)}</td><td>${interval(r.npsCi95)}</td></tr>
    </tbody></table></div>
    ${change ? `<p>Change ${signed(change.nps)} points (95% interval ${interval(change.ci95)}), ${change.significant ? 'significant' : 'not significant'} at 5% (p = ${change.pValue.toFixed(3)}).</p>` : ''}</section>`;
}

function segmentRows(rows: SegmentRow[]): string {
  return rows
    .map(
      (s) =>
        `<tr class="${s.lowSample ? 'low' : ''}"><th scope="row">${s.value === null ? '<i>no value</i>' : esc(s.value)}</th><td class="num">${int(s.responses)}</td><td class="num">${signed(s.nps)}</td><td>${interval(s.npsCi95)}${s.lowSample ? ' <abbr title="fewer than 30 answers">low sample</abbr>' : ''}</td></tr>`,
    )
    .join('');
}

function segments(r: NpsReport): string {
  const names = Object.keys(r.segments);
  if (names.length === 0) return '';
  return `<section aria-labelledby="seg-h" class="card"><h2 id="seg-h">Segments</h2>${names
    .map(
      (name) => `<div class="scroll"><table><caption>By ${esc(name)}</caption><thead><tr><th scope="col">${esc(name)}</th><th scope="col">Responses</th><th scope="col">NPS</th><th scope="col">95% interval</th></tr></thead>
      <tbody>${segmentRows(r.segments[name]!)}</tbody></table></div>`,
    )
    .join('')}</section>`;
}

function agents(r: NpsReport): string {
  if (!r.agents) return '';
  return `<section aria-labelledby="agents-h" class="card"><h2 id="agents-h">Agents</h2><div class="scroll"><table data-testid="agents">
    <thead><tr><th scope="col">Agent</th><th scope="col">Rank</th><th scope="col">Responses</th><th scope="col">NPS</th><th scope="col">95% interval</th></tr></thead><tbody>
    ${r.agents.rows
      .map(
        (a) =>
          `<tr class="${a.lowSample ? 'low' : ''}"><th scope="row">${esc(a.agent)}</th><td class="num">${a.rank ?? '–'}</td><td class="num">${int(a.responses)}</td><td class="num">${signed(a.nps)}</td><td>${interval(a.npsCi95)}</td></tr>`,
      )
      .join('')}</tbody></table></div></section>`;
}

function cases(frame: PageFrame, list: CaseView[]): string {
  const rows = list
    .map(
      (c) => `<tr data-case="${c.id}"><th scope="row">#${c.id}</th><td class="num">${c.score}</td><td>${esc(c.contact.phone)}</td><td>${c.agent === null ? '–' : esc(c.agent)}</td>
      <td data-testid="case-status-${c.id}">${c.status}${c.overdue ? ' <strong>overdue</strong>' : ''}</td><td>${dateTime(c.dueAt)}</td>
      <td><form method="post" action="/console/cases/${c.id}" class="inline">${csrfField(frame.csrfToken)}
        <label for="case-${c.id}-status" class="sr">State of case ${c.id}</label>
        <select id="case-${c.id}-status" name="status">${CASE_STATUSES.map((s) => `<option value="${s}"${s === c.status ? ' selected' : ''}>${s}</option>`).join('')}</select>
        <button type="submit">Save</button></form></td></tr>`,
    )
    .join('');
  return `<section aria-labelledby="cases-h" class="card" id="cases"><h2 id="cases-h">Detractor cases</h2>${
    list.length
      ? `<div class="scroll"><table data-testid="cases"><thead><tr><th scope="col">Case</th><th scope="col">Score</th><th scope="col">Number</th><th scope="col">Agent</th><th scope="col">State</th><th scope="col">Due</th><th scope="col" class="noprint">Move to</th></tr></thead><tbody>${rows}</tbody></table></div>`
      : '<p>No detractor cases.</p>'
  }</section>`;
}

function comments(input: ListPageInput): string {
  const { items, total } = input.comments;
  if (total === 0) return '';
  return `<section aria-labelledby="comments-h" class="card"><h2 id="comments-h">Comments (${int(total)}${total > items.length ? `, the first ${items.length}` : ''})</h2><ul class="comments">
    ${items
      .map(
        (c) =>
          `<li><span class="score ${c.category}">${c.score}</span> ${esc(c.maskedPhone)}${c.seconds === null ? '' : `, ${c.seconds} s`}
          <audio controls preload="none" src="${esc(input.recordingHref(c))}" aria-label="Comment of the caller who scored ${c.score}"></audio></li>`,
      )
      .join('')}</ul></section>`;
}
