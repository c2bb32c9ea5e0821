import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { resolveFromRoot } from '../../src/config/index.js';
import { listen, type RunningServer } from '../../src/http/index.js';
import { ACME_PHONES, consoleFixture, GLOBEX_PHONES, OPERATOR_TOKEN } from './support.js';

/**
 * The console in a real browser: Debian's Chromium driven by playwright-core, against the real app
 * on loopback. Changes are driven from the test (rows written to the database) and awaited in the
 * DOM; nothing sleeps. The screenshots in docs/console/ are taken here, so they show what runs.
 */
const CHROMIUM = '/usr/bin/chromium';
const MISSING = `${CHROMIUM} is missing: the console's browser tests need the Debian package "chromium" (apt-get install -y chromium; .ci/run installs it)`;
const SCREENSHOTS = resolveFromRoot('docs', 'console');

/** Every seeded number, with and without its +: none may appear whole on any page. */
const SEEDED = [...ACME_PHONES, ...GLOBEX_PHONES].flatMap((p) => [p, p.slice(1)]);

async function pageText(page: Page): Promise<string> {
  return `${await page.content()}\n${await page.locator('body').innerText()}`;
}

function expectNoFullNumber(text: string): void {
  for (const phone of SEEDED) expect(text).not.toContain(phone);
}

if (!existsSync(CHROMIUM)) {
  describe('web console in Chromium', () => {
    it('needs Chromium', async () => {
      throw new Error(MISSING);
    });
  });
} else {
  describe('web console in Chromium', () => {
    let browser: Browser;
    let fixture: Awaited<ReturnType<typeof consoleFixture>>;
    let server: RunningServer;
    let base: string;
    const contexts: BrowserContext[] = [];
    const errors: string[] = [];

    beforeAll(async () => {
      fixture = await consoleFixture({ livePollMs: 100, liveMinIntervalMs: 0 });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      });
      server = await listen(fixture.app, 0, '127.0.0.1');
      base = `http://127.0.0.1:${server.port}`;
      mkdirSync(SCREENSHOTS, { recursive: true });
    });
    afterAll(async () => {
      for (const context of contexts) await context.close();
      await browser?.close();
      await server?.close();
    });

    /** A fresh browser profile that may reach only this server, and reports script errors. */
    async function newPage(viewport = { width: 1100, height: 900 }): Promise<Page> {
      const context = await browser.newContext({ viewport, acceptDownloads: true });
      contexts.push(context);
      await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
      const page = await context.newPage();
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && !/status of 40[14]/.test(message.text())) errors.push(message.text());
      });
      return page;
    }

    async function signIn(page: Page, apiKey: string): Promise<void> {
      await page.goto(`${base}/console`);
      await page.getByLabel('Your API key').fill(apiKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/console/lists`);
    }

    it('signs a client in and shows its lists with progress, never a full number', async () => {
      const page = await newPage();
      await signIn(page, fixture.acme.apiKey);
      await expect(page.getByRole('link', { name: 'Acme Q1 <script>' }).count()).resolves.toBe(1);
      expect(await page.locator('table[data-testid=lists] tbody tr').count()).toBe(2);
      expectNoFullNumber(await pageText(page));
      expect(errors).toEqual([]);
    });

    it('updates NPS, its interval and the distribution while answers come in, without a reload', async () => {
      const page = await newPage();
      await signIn(page, fixture.acme.apiKey);
      await page.getByRole('link', { name: 'Acme Q1 <script>' }).click();
      await page.locator('[data-testid=nps]', { hasText: '+33.3' }).waitFor();
      // A marker on the document: a reload would lose it.
      await page.evaluate('window.marker = 1');
      await page.screenshot({ path: `${SCREENSHOTS}/client-list.png`, fullPage: true });
      // Two pending contacts answer 10: NPS (2 - 1) / 3 → (4 - 1) / 5 = +60.0.
      const { database, acmeList } = fixture;
      const pending = database.sqlite.prepare(`SELECT id FROM contacts WHERE list_id = ? AND status = 'pending' ORDER BY id LIMIT 2`).all(acmeList.listId) as { id: number }[];
      answer(pending.map((p) => p.id));
      await page.locator('[data-testid=nps]', { hasText: '+60.0' }).waitFor();
      await page.locator('[data-live-score="10"]', { hasText: '3' }).waitFor();
      expect(await page.locator('[data-testid=responses]').textContent()).toBe('5');
      expect(await page.locator('[data-live-meter="10"]').getAttribute('value')).toBe('3');
      expect(await page.evaluate('window.marker')).toBe(1);
      expectNoFullNumber(await pageText(page));
      expect(errors).toEqual([]);
    });

    it('downloads the report in each format', async () => {
      const page = await newPage();
      await signIn(page, fixture.acme.apiKey);
      await page.goto(`${base}/console/lists/${fixture.acmeList.listId}`);
      for (const format of ['json', 'csv', 'html']) {
        const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=download-${format}]`).click()]);
        expect(download.suggestedFilename()).toBe(`nps-report-list-${fixture.acmeList.listId}.${format}`);
        const body = readFileSync((await download.path())!, 'utf8');
        if (format === 'json') expect(JSON.parse(body)).toMatchObject({ audience: 'client', listId: fixture.acmeList.listId });
        expect(body).not.toMatch(/providerCost/);
        expectNoFullNumber(body);
      }
    });

    it('moves a detractor case to another state', async () => {
      const page = await newPage();
      await signIn(page, fixture.acme.apiKey);
      await page.goto(`${base}/console/lists/${fixture.acmeList.listId}`);
      const caseId = fixture.acmeCases[0]!;
      await page.getByLabel(`State of case ${caseId}`).selectOption('resolved');
      await page.locator(`tr[data-case="${caseId}"]`).getByRole('button', { name: 'Save' }).click();
      await page.locator(`[data-testid=case-status-${caseId}]`, { hasText: 'resolved' }).waitFor();
      const stored = fixture.database.sqlite.prepare('SELECT status FROM cases WHERE id = ?').get(caseId) as { status: string };
      expect(stored.status).toBe('resolved');
    });

    it("keeps clients apart: Globex sees neither Acme's lists nor its list page", async () => {
      const page = await newPage();
      await signIn(page, fixture.globex.apiKey);
      const lists = await pageText(page);
      expect(lists).toContain('Globex Q1');
      expect(lists).not.toContain('Acme');
      const response = await page.goto(`${base}/console/lists/${fixture.acmeList.listId}`);
      expect(response!.status()).toBe(404);
      expect(await pageText(page)).not.toContain('Acme');
      const live = await page.goto(`${base}/console/lists/${fixture.acmeList.listId}/live.json`);
      expect(live!.status()).toBe(404);
    });

    it('opens a signed link read-only on a phone-sized screen', async () => {
      const page = await newPage({ width: 390, height: 844 });
      await page.goto(`${base}/console/links/${fixture.link(fixture.acmeList.listId)}`);
      await page.locator('[data-testid=nps]').waitFor();
      expect(await page.locator('form').count()).toBe(0);
      // Nothing wider than the screen but the tables' own scrolling boxes.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: `${SCREENSHOTS}/client-phone.png`, fullPage: false });
      expectNoFullNumber(await pageText(page));
    });

    it('signs the operator in with the configured token', async () => {
      const page = await newPage();
      await page.goto(`${base}/console/operator/sign-in`);
      await page.getByLabel('Operator token (CONSOLE_OPERATOR_TOKEN)').fill(OPERATOR_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}/console/operator`);
      await page.screenshot({ path: `${SCREENSHOTS}/operator.png`, fullPage: true });
      expectNoFullNumber(await pageText(page));
    });

    /** The contacts answer 10 as the dialer's input webhook would leave them: a call, a response. */
    function answer(contactIds: number[]): void {
      const { sqlite } = fixture.database;
      const now = fixture.clock.now();
      sqlite.transaction(() => {
        for (const contactId of contactIds) {
          const call = sqlite
            .prepare(
              `INSERT INTO calls (contact_id, list_id, attempt, ref, state, outcome, answered_by, created_at, answered_at, ended_at, duration_seconds)
               VALUES (?, ?, 1, ?, 'ended', 'human', 'human', ?, ?, ?, 30) RETURNING id`,
            )
            .get(contactId, fixture.acmeList.listId, `ref-browser-${contactId}`, now, now, now) as { id: number };
          sqlite.prepare(`INSERT INTO responses (contact_id, list_id, call_id, score, created_at) VALUES (?, ?, ?, 10, ?)`).run(contactId, fixture.acmeList.listId, call.id, now);
          sqlite.prepare(`UPDATE contacts SET status = 'responded', attempts = 1, next_attempt_at = NULL WHERE id = ?`).run(contactId);
        }
      })();
    }
  });
}
