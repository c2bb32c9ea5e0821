import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mountConsole, type ConsoleDeps } from '../../src/console/index.js';
import { SqliteCaseStore } from '../../src/followup/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { scheduleStore } from '../../src/schedules/index.js';
import { createHttpApp, mountApi } from '../../src/http/index.js';
import { signReportLink } from '../../src/reports/index.js';
import { webhookHarness } from '../support/dialer.js';
import { openCases, others, REPORT_TARIFF, scored, seedClient, seedList, clientStores } from '../support/reports.js';
import { sqliteCommentStores } from '../../src/comments/index.js';

export const LINK_SECRET = 'console-test-link-secret-0123456789abcdef';
export const OPERATOR_TOKEN = 'console-test-operator-token-0123456789abcdef';

/** The phone numbers the fixture seeds: no page may show one of them whole. */
export const ACME_PHONES = ['+48501234567', '+48501234568', '+48501234569'];
export const GLOBEX_PHONES = ['+48511111111'];


/**
 * The real HTTP app (webhooks, API and console) over one database: Acme with a first wave and a
 * second (a detractor case, a comment with its recording, pending contacts), Globex with its own.
 */
export async function consoleFixture(options: Partial<Pick<ConsoleDeps, 'livePollMs' | 'liveMinIntervalMs' | 'operator' | 'failedAuthLimit'>> = {}) {
  const h = webhookHarness();
  const { database, clock, recordingsDir } = h;
  const acme = await seedClient(database, clock, 'Acme <b>Telecom</b>');
  const globex = await seedClient(database, clock, 'Globex');
  mkdirSync(path.join(recordingsDir, 'list-2'), { recursive: true });
  writeFileSync(path.join(recordingsDir, 'list-2', 'call-1.mp3'), Buffer.from('ID3 recording bytes'));
  const wave1 = seedList(database, { clientId: acme.clientId, name: 'Acme Q4', contacts: scored({ promoters: 4, passives: 2, detractors: 4 }) });
  const acmeList = seedList(database, {
    clientId: acme.clientId,
    previousListId: wave1.listId,
    name: 'Acme Q1 <script>',
    contacts: [
      { phone: ACME_PHONES[0], score: 2, comment: { status: 'downloaded', file: 'list-2/call-1.mp3', seconds: 4 }, attributes: { region: 'North', agent: 'Ann' } },
      { phone: ACME_PHONES[1], score: 9, attributes: { region: 'South', agent: 'Bob' } },
      { phone: ACME_PHONES[2], score: 10, attributes: { region: 'North', agent: 'Ann' } },
      ...others(3, 'pending', { attempts: 0 }),
    ],
  });
  const globexList = seedList(database, { clientId: globex.clientId, name: 'Globex Q1', contacts: [{ phone: GLOBEX_PHONES[0], score: 1 }] });
  const acmeCases = await openCases(database, acmeList.listId);
  const globexCases = await openCases(database, globexList.listId);
  const config = { defaultTariff: REPORT_TARIFF, recordingsDir, consoleOperatorToken: OPERATOR_TOKEN, consoleSessionMinutes: 30 };
  const logger = h.deps.logger;
  const app = createHttpApp({
    logger,
    webhooks: h.deps,
    extra: (express) => {
      mountApi({ ...clientStores(database), triggers: sqliteTriggerUnits(database), cases: new SqliteCaseStore(database), commentStores: sqliteCommentStores(database), clock, logger, config, linkSecret: LINK_SECRET })(express);
      mountConsole({ ...clientStores(database), schedules: scheduleStore(database), clock, logger, cases: new SqliteCaseStore(database), config, linkSecret: LINK_SECRET, livePollMs: 5_000, liveMinIntervalMs: 0, ...options })(express);
    },
  });
  const link = (listId: number, format: 'json' | 'csv' | 'html' = 'html') => signReportLink(LINK_SECRET, { listId, format, expiresAt: clock.now() + 86_400_000 });
  return { app, h, database, clock, acme, globex, wave1, acmeList, globexList, acmeCases, globexCases, link };
}
