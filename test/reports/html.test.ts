import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser } from 'playwright-core';
import { EMBED_MAX_BYTES, renderReport, type ReportServiceDeps } from '../../src/reports/index.js';
import { tempDir, testEnv } from '../support/factories.js';
import { others, REPORT_TARIFF, scored, seedClient, seedList, reportDeps } from '../support/reports.js';

const HOSTILE = `<script>alert("x")</script> & 'Co'`;

/** The worked-example list (400 answers among 8,100 contacts) with hostile names and three comments. */
async function fixture() {
  const env = testEnv();
  const recordingsDir = tempDir('nps-report-rec-');
  mkdirSync(path.join(recordingsDir, 'list-2'));
  writeFileSync(path.join(recordingsDir, 'list-2', 'small.mp3'), Buffer.from('ID3 small recording'));
  writeFileSync(path.join(recordingsDir, 'list-2', 'large.mp3'), Buffer.alloc(EMBED_MAX_BYTES + 1, 1));
  const deps: ReportServiceDeps = reportDeps(env.database, { clock: env.clock, config: { defaultTariff: REPORT_TARIFF, recordingsDir }, linkSecret: undefined });
  const { clientId } = await seedClient(env.database, env.clock, `Client ${HOSTILE}`);
  const previous = seedList(env.database, { clientId, contacts: scored({ promoters: 10, passives: 10, detractors: 10 }) });
  const { listId } = seedList(env.database, {
    clientId,
    previousListId: previous.listId,
    name: HOSTILE,
    script: { company: '<b>Acme</b>' },
    contacts: [
      { score: 1, attributes: { region: '<img src=x onerror=alert(1)>' }, comment: { status: 'downloaded', file: 'list-2/small.mp3', seconds: 3 } },
      { score: 2, attributes: { region: 'North' }, comment: { status: 'downloaded', file: 'list-2/large.mp3', seconds: 40 } },
      { score: 3, attributes: { region: 'North' }, comment: { status: 'downloaded', file: 'list-2/missing.mp3', seconds: 5 } },
      ...scored({ promoters: 180, passives: 120, detractors: 97 }, { attributes: { region: 'North' } }),
      ...others(7700, 'unanswered'),
    ],
  });
  const html = (await renderReport(deps, { listId, format: 'html', recordingHref: (comment) => `recordings/${comment.callId}` })).body as string;
  return { html, listId };
}

describe('HTML report', () => {
  let html = '';
  beforeAll(async () => {
    ({ html } = await fixture());
  });

  it('escapes every string from the data and contains no script at all', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>Acme</b>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;Co&#39;');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('is self-contained: no external stylesheet, image, font or script', () => {
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toMatch(/<style>/);
    expect(html).toMatch(/<svg[^>]*aria-label="Answers by score, 0 to 10"/);
  });

  it('embeds a small recording, links a large one and says when a file is missing', () => {
    expect(html).toContain(`src="data:audio/mpeg;base64,${Buffer.from('ID3 small recording').toString('base64')}"`);
    expect(html).toMatch(/<audio controls preload="none" src="recordings\/\d+"><\/audio> <a href="recordings\/\d+">download<\/a>/);
    expect(html).toContain('recording not available in this copy');
  });

  it('puts the billing with the headline figures, above the funnel and the comment players', () => {
    const at = (testId: string) => html.indexOf(`data-testid="${testId}"`);
    expect(at('billing')).toBeGreaterThan(at('headline'));
    expect(at('billing')).toBeLessThan(at('funnel'));
    expect(at('billing')).toBeLessThan(at('comments'));
  });

  it('greys segments under 30 answers and shows the wave comparison', () => {
    expect(html).toMatch(/<tr class="low"><td class="val">&#60;img/);
    expect(html).toMatch(/<tr class=""><td class="val">North<\/td>/);
    expect(html).toMatch(/data-testid="wave-change">Change: <b>\+20\.0<\/b> points/);
  });
});

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  process.stderr.write(`html.test.ts: ${CHROMIUM} is missing, so the browser rendering test is skipped; install the Debian package "chromium" (apt-get install -y chromium)\n`);
}

describe('HTML report in headless Chromium', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (haveChromium) {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
    }
  });
  afterAll(async () => {
    await browser?.close();
  });

  (haveChromium ? it : it.skip)(
    `renders the key figures, the charts and the players without a request or an error${haveChromium ? '' : ` (SKIPPED: ${CHROMIUM} missing; install the Debian package "chromium")`}`,
    async () => {
      const { html } = await fixture();
      const page = await browser!.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('data:')) requests.push(r.url());
      });
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.setContent(html, { waitUntil: 'load' });
      expect(await page.title()).toBe(`NPS report — ${HOSTILE}`);
      expect(await page.locator('[data-testid=nps]').textContent()).toBe('+20.0');
      expect(await page.locator('[data-testid=nps-ci]').textContent()).toBe('11.9 to 27.8');
      expect(await page.locator('[data-testid=responses]').textContent()).toBe('400');
      expect(await page.locator('h1').textContent()).toContain(HOSTILE);
      // The 0–10 chart: eleven bars, the 10s (180) drawn taller than the 3s (98).
      expect(await page.locator('svg g[data-score]').count()).toBe(11);
      const height = async (score: number) => (await page.locator(`svg g[data-score="${score}"] rect`).boundingBox())!.height;
      expect(await height(10)).toBeGreaterThan(await height(3));
      expect(await page.locator('audio').count()).toBe(2);
      expect(await page.locator('[data-testid=migration]').count()).toBe(0);
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    },
  );

  (haveChromium ? it : it.skip)('draws every funnel label clear of its bar', async () => {
    const { html } = await fixture();
    const page = await browser!.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    const funnel = page.locator('svg[aria-label="Disposition funnel"]');
    const labels = funnel.locator('[data-part=label]');
    const bars = funnel.locator('[data-part=bar]');
    expect(await labels.count()).toBe(6);
    for (let i = 0; i < 6; i++) {
      const label = (await labels.nth(i).boundingBox())!;
      const bar = (await bars.nth(i).boundingBox())!;
      expect(label.x + label.width).toBeLessThan(bar.x);
    }
    await page.close();
  });
});

/** A list whose comments have words and themes, and a value column: the "why" section. */
async function whyFixture() {
  const env = testEnv();
  const deps: ReportServiceDeps = reportDeps(env.database, { clock: env.clock, config: { defaultTariff: REPORT_TARIFF, recordingsDir: tempDir('nps-why-') }, linkSecret: undefined });
  const { listId } = seedList(env.database, {
    contacts: [
      { score: 1, value: 500, attributes: { region: 'North' }, text: { text: 'Far too expensive <b>really</b>', themes: ['price'], sentiment: 'negative' } },
      { score: 2, value: 300, attributes: { region: 'South' }, text: { text: 'Rude staff on the phone', themes: ['service'], sentiment: 'negative' } },
      { score: 4, value: 200, attributes: { region: 'North' }, text: { text: 'Expensive and slow delivery', themes: ['price', 'speed'], sentiment: 'negative' } },
      { score: 8, value: 100, attributes: { region: 'South' }, text: { text: 'Fine, a bit pricey', themes: ['price'], sentiment: 'neutral' } },
      { score: 10, value: 1000, attributes: { region: 'North' }, text: { text: 'Lovely staff', themes: ['service'], sentiment: 'positive' } },
      ...scored({ promoters: 20, passives: 10, detractors: 5 }, { value: 50, attributes: { region: 'North' } }),
    ],
  });
  env.database.sqlite.prepare(`UPDATE lists SET value_column = 'revenue' WHERE id = ?`).run(listId);
  const html = (await renderReport(deps, { listId, format: 'html', recordingHref: (comment) => `recordings/${comment.callId}` })).body as string;
  return { html };
}

describe('the "why" of the HTML report in headless Chromium (#16)', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (haveChromium) {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      });
    }
  });
  afterAll(async () => {
    await browser?.close();
  });

  (haveChromium ? it : it.skip)(
    `ranks the themes by NPS impact and filters the verbatims by theme, category and words, offline, under the page's CSP${haveChromium ? '' : ` (SKIPPED: ${CHROMIUM} missing; install the Debian package "chromium")`}`,
    async () => {
      const { html } = await whyFixture();
      const page = await browser!.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.setContent(html, { waitUntil: 'load' });
      // price is named by two of the eight detractors among 40 respondents: 5.0 points.
      const first = page.locator('[data-testid=why] tbody tr').first();
      expect(await first.getAttribute('data-testid')).toBe('reason-price');
      expect(await first.textContent()).toContain('5.0');
      expect(await page.locator('[data-testid=value-at-risk]').textContent()).toBe('1,250 (32.5%)');
      const visible = async () => page.locator('[data-verbatim]:visible').allTextContents();
      expect(await visible()).toHaveLength(5);
      // The script ran (the CSP allowed it by hash): it counts what is shown.
      expect(await page.locator('#why-shown').textContent()).toBe('5');
      await page.selectOption('#why-theme', 'price');
      expect((await visible()).map((t) => t.match(/“(.*)”/)?.[1])).toEqual(['Far too expensive <b>really</b>', 'Expensive and slow delivery', 'Fine, a bit pricey']);
      await page.selectOption('#why-category', 'detractor');
      expect(await visible()).toHaveLength(2);
      await page.selectOption('#why-theme', '');
      await page.selectOption('#why-category', '');
      await page.fill('#why-search', 'staff');
      expect((await visible()).map((t) => t.match(/“(.*)”/)?.[1])).toEqual(['Rude staff on the phone', 'Lovely staff']);
      expect(errors).toEqual([]);
      await page.close();
    },
  );
});
