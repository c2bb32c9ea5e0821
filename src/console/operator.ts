import express, { type Response } from 'express';
import { z } from 'zod';
import { listLists } from '../contacts/index.js';
import { ListSettingsBook } from '../contacts/index.js';
import { pauseList, planList, resumeList } from '../dialer/index.js';
import { AppError } from '../errors/index.js';
import { esc } from '../reports/index.js';
import { listSchedules } from '../schedules/index.js';
import { dateTime, int, percent } from './format.js';
import { Id, parseInput } from './input.js';
import type { LiveReports } from './live.js';
import type { ConsoleDeps } from './routes.js';
import type { ConsoleSession } from './session.js';
import { dialerStatus, type DialerStatus } from '../dialer/index.js';
import type { GaugeSnapshot } from '../calls/index.js';
import { page, type PageFrame } from './views.js';

/** What the operator view uses of the dialing process it runs in. */
export interface OperatorDeps {
  /** Wakes this process's running loops at once after a pause or a resume (CallSignals). */
  notifyChange?: (() => void) | undefined;
  /** This process's in-memory figures (429s, webhook times) while it dials; absent when it does not. */
  gauges?: (() => GaugeSnapshot | undefined) | undefined;
}

const ListId = Id('list id');
const Verb = z.enum(['pause', 'resume'], { error: 'the action must be pause or resume' });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function frame(res: Response, title: string): PageFrame {
  const session = res.locals.consoleSession as ConsoleSession;
  return { title, identity: session.identity, csrfToken: session.csrfToken };
}

/**
 * The operator's view at /console/operator: every list and schedule, the dialer's state, a list's
 * dry-run plan and its pause. The same functions as `lists`, `lists plan`, `schedule list` and
 * `lists pause` on the CLI.
 */
export function operatorRoutes(deps: ConsoleDeps & { live: LiveReports }): express.Router {
  const router = express.Router();
  const settings = new ListSettingsBook(deps.reader, deps.config);
  const accountCps = deps.config.accountCps;
  const status = async (): Promise<OperatorStatus> => ({ ...(await dialerStatus(deps.reader, { now: deps.clock.now(), accountCps })), gauges: deps.operator?.gauges?.() ?? null });

  router.use((_req, res, next) => {
    const session = res.locals.consoleSession as ConsoleSession | undefined;
    if (session?.identity.kind !== 'operator') return next(new AppError('UNAUTHORIZED', 'not signed in as the operator', { userMessage: 'sign in with the operator token first' }));
    res.set('Cache-Control', 'private, no-store');
    next();
  });

  router.get('/', async (_req, res) => {
    const s = await status();
    const lists = await listLists({ lists: deps.lists });
    const schedules = await listSchedules({ schedules: deps.schedules, clock: deps.clock });
    const paused = new Set(s.pausedLists);
    const csrf = frame(res, '').csrfToken!;
    const listRows = lists
      .map((l) => {
        const open = l.byStatus.pending + l.byStatus.dialing;
        const live = s.liveCalls.find((c) => c.listId === l.id)?.calls ?? 0;
        return `<tr><th scope="row"><a href="/console/operator/lists/${l.id}">${l.id} ${esc(l.name)}</a></th><td>${l.clientName === null ? '–' : esc(l.clientName)}</td>
          <td class="num">${int(l.contacts)}</td><td class="num">${int(open)}</td><td class="num">${int(l.byStatus.responded)}</td><td class="num">${live}</td>
          <td>${paused.has(l.id) ? '<span class="badge paused">paused</span>' : l.final ? 'final' : 'open'}</td><td>${l.final && !paused.has(l.id) ? '–' : pauseForm(l.id, paused.has(l.id), csrf)}</td></tr>`;
      })
      .join('');
    const scheduleRows = schedules
      .map(
        (x) =>
          `<tr><th scope="row">${x.id}</th><td>${x.listId} ${esc(x.listName)}</td><td><code>${esc(x.cron)}</code> ${esc(x.timezone)}, ${esc(x.window)}</td><td>${x.status}</td>
          <td>${dateTime(iso(x.nextRunAt))}</td><td>${x.lastResult === null ? '–' : esc(x.lastResult)}</td></tr>`,
      )
      .join('');
    res.type('html').send(
      page(
        frame(res, 'Dialer'),
        `<h1>Dialer</h1>${statusSection(s)}
        <section class="card" aria-labelledby="lists-h"><h2 id="lists-h">Lists</h2><div class="scroll"><table data-testid="operator-lists">
          <thead><tr><th scope="col">List</th><th scope="col">Client</th><th scope="col">Contacts</th><th scope="col">Open</th><th scope="col">Responses</th><th scope="col">Live calls</th><th scope="col">State</th><th scope="col" class="noprint">Dialing</th></tr></thead>
          <tbody>${listRows}</tbody></table></div></section>
        <section class="card" aria-labelledby="sched-h"><h2 id="sched-h">Schedules</h2>${
          schedules.length
            ? `<div class="scroll"><table><thead><tr><th scope="col">Id</th><th scope="col">List</th><th scope="col">When</th><th scope="col">State</th><th scope="col">Next run</th><th scope="col">Last result</th></tr></thead><tbody>${scheduleRows}</tbody></table></div>`
            : '<p>No schedules (<code>nps-dialer schedule add</code>).</p>'
        }</section>
        ${errorsSection(s)}`,
      ),
    );
  });

  router.get('/status.json', async (_req, res) => {
    const s = await status();
    res.json({ final: false, scores: [], text: statusText(s), status: s });
  });

  router.get('/lists/:id', async (req, res) => {
    const listId = parseInput(ListId, req.params.id);
    settings.invalidate(listId);
    const plan = await planList({ reader: deps.reader, lists: settings, listId, now: deps.clock.now() });
    const { figures } = await deps.live.get(listId);
    const paused = (await settings.load(listId)).pausedAt !== null;
    const csrf = frame(res, '').csrfToken!;
    res.type('html').send(
      page(
        frame(res, plan.listName),
        `<h1>${esc(plan.listName)} <span class="badge${paused ? ' paused' : ''}" data-testid="list-state">${paused ? 'paused' : 'dialling allowed'}</span></h1>
        <p>${pauseForm(listId, paused, csrf)}</p>
        <section class="card"><h2>Figures</h2><p>NPS ${figures.text.nps} (${figures.text.npsCi}), ${figures.text.responses} responses; ${figures.text.dialled} dialled, ${figures.text.answered} answered, ${figures.text.finished} finished.</p></section>
        <section class="card" aria-labelledby="plan-h"><h2 id="plan-h">Dry-run plan at ${dateTime(iso(plan.at))}</h2>
          <p>${int(plan.contacts)} contacts; at ${plan.policy.cps} calls/s, ${plan.policy.maxConcurrent} live at most, ${plan.policy.maxAttempts} attempts, hours ${esc(plan.policy.callingHours)}. The contacts due now take at least ${plan.dueNowDialSeconds.toFixed(0)} s to dial.</p>
          <div class="scroll"><table data-testid="plan"><thead><tr><th scope="col">Verdict</th><th scope="col">Why</th><th scope="col">Contacts</th></tr></thead><tbody>
          ${plan.byReason.map((r) => `<tr><td>${r.verdict}</td><td>${esc(r.description)}</td><td class="num">${int(r.contacts)}</td></tr>`).join('')}</tbody></table></div>
          ${
            plan.byHour.length
              ? `<div class="scroll"><table><caption>First calls per hour (UTC)</caption><thead><tr><th scope="col">Hour</th><th scope="col">Contacts</th></tr></thead><tbody>${plan.byHour
                  .slice(0, 48)
                  .map((h) => `<tr><td>${dateTime(iso(h.hourStartsAt))}</td><td class="num">${int(h.contacts)}</td></tr>`)
                  .join('')}</tbody></table></div>`
              : ''
          }</section>`,
      ),
    );
  });

  router.post('/lists/:id/:verb', async (req, res) => {
    const listId = parseInput(ListId, req.params.id);
    const verb = parseInput(Verb, req.params.verb);
    const result = verb === 'pause' ? await pauseList(deps, { listId }) : await resumeList(deps, { listId });
    deps.logger.info(`list ${verb}d from the console`, { listId, changed: result.changed });
    deps.operator?.notifyChange?.();
    res.redirect(303, `/console/operator/lists/${listId}`);
  });
  return router;
}

function pauseForm(listId: number, paused: boolean, csrf: string): string {
  const verb = paused ? 'resume' : 'pause';
  return `<form method="post" action="/console/operator/lists/${listId}/${verb}" class="inline"><input type="hidden" name="_csrf" value="${esc(csrf)}">
    <button type="submit"${paused ? '' : ' class="warn"'} aria-label="${paused ? 'Resume' : 'Pause'} list ${listId}">${paused ? 'Resume' : 'Pause'}</button></form>`;
}

/** The database's view of the dialer, and this process's own figures when it is the one dialling. */
type OperatorStatus = DialerStatus & { gauges: GaugeSnapshot | null };

const NOT_DIALLING_HERE = 'not dialling in this process';

function statusText(s: OperatorStatus): Record<string, string> {
  const g = s.gauges;
  return {
    holder: s.holder ? `pid ${s.holder.pid} on ${s.holder.host}, \`nps-dialer ${s.holder.command}\`, heartbeat ${Math.round(s.holder.heartbeatAgeMs / 1000)} s ago` : 'nobody dials',
    liveCalls: int(s.liveCallsTotal),
    pace: `${s.createsPerSecond.toFixed(2)} calls/s in the last minute${s.accountCps === null ? '' : ` (account allows ${s.accountCps}; ${percent(s.createsPerSecond / s.accountCps)})`}`,
    recordings: int(s.recordingsPending),
    deliveries: `${int(s.deliveriesPending)} waiting, ${int(s.deliveriesFailed)} failed for good`,
    rateLimited: g ? `${int(g.rateLimitedLastMinute)} in the last minute, ${int(g.rateLimitedTotal)} since start` : NOT_DIALLING_HERE,
    webhooks: g ? (g.webhookP99Ms === null ? 'none in the last minute' : `p50 ${g.webhookP50Ms} ms, p99 ${g.webhookP99Ms} ms over ${int(g.webhooksLastMinute)} in the last minute`) : NOT_DIALLING_HERE,
    at: dateTime(iso(s.at)),
  };
}

function statusSection(s: OperatorStatus): string {
  const t = statusText(s);
  return `<section class="card" aria-labelledby="status-h" data-live-url="/console/operator/status.json" data-live-interval-ms="5000"><h2 id="status-h">Live state</h2>
    <dl class="figures">
      <div><dt>Dialer lock</dt><dd data-live="holder" data-testid="holder">${esc(t.holder)}</dd></div>
      <div><dt>Live calls</dt><dd data-live="liveCalls" data-testid="live-calls">${t.liveCalls}</dd></div>
      <div><dt>Pace</dt><dd data-live="pace">${esc(t.pace)}</dd></div>
      <div><dt>Creates refused with 429</dt><dd data-live="rateLimited" data-testid="rate-limited">${esc(t.rateLimited)}</dd></div>
      <div><dt>Webhook time in this server</dt><dd data-live="webhooks" data-testid="webhook-latency">${esc(t.webhooks)}</dd></div>
      <div><dt>Recordings to download</dt><dd data-live="recordings">${t.recordings}</dd></div>
      <div><dt>Webhooks to clients</dt><dd data-live="deliveries">${t.deliveries}</dd></div>
    </dl><p class="hint">As of <span data-live="at">${t.at}</span>. <span data-live-status role="status"></span></p></section>`;
}

function errorsSection(s: DialerStatus): string {
  return `<section class="card" aria-labelledby="errors-h"><h2 id="errors-h">Last errors</h2>${
    s.lastErrors.length
      ? `<div class="scroll"><table data-testid="errors"><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Detail</th></tr></thead><tbody>${s.lastErrors
          .map((e) => `<tr><td>${dateTime(iso(e.at))}</td><td>${esc(e.what)}</td><td>${esc(e.detail)}</td></tr>`)
          .join('')}</tbody></table></div>`
      : '<p>None.</p>'
  }</section>`;
}
