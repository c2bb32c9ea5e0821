import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ACME_PHONES, consoleFixture, GLOBEX_PHONES, OPERATOR_TOKEN } from './support.js';

type Agent = ReturnType<typeof request.agent>;

/** Signs in with an API key; returns the agent (it keeps the cookie) and the page's CSRF token. */
async function signIn(app: Parameters<typeof request.agent>[0], apiKey: string): Promise<{ agent: Agent; csrf: string; cookie: string }> {
  const agent = request.agent(app);
  const res = await agent.post('/console/sign-in').type('form').send({ apiKey });
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/console/lists');
  const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
  const lists = await agent.get('/console/lists');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(lists.text)![1]!;
  return { agent, csrf, cookie };
}

const noFullNumber = (text: string, phones: string[]) => {
  for (const phone of phones) {
    expect(text).not.toContain(phone);
    expect(text).not.toContain(phone.slice(1));
  }
};

describe('console sign-in and session', () => {
  it('exchanges a valid API key for an HttpOnly, SameSite=Strict session cookie scoped to /console', async () => {
    const { app, acme } = await consoleFixture();
    const { cookie } = await signIn(app, acme.apiKey);
    expect(cookie).toMatch(/^nps_console=[A-Za-z0-9_-]{43}; Path=\/console; Max-Age=1800; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(acme.apiKey);
  });

  it('limits failed sign-ins per address but never refuses a valid key or token (#13 item 3)', async () => {
    const { app, acme } = await consoleFixture({ failedAuthLimit: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(app).post('/console/sign-in').type('form').send({ apiKey: `${acme.apiKey.slice(0, -4)}AAA${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const valid = await request(app).post('/console/sign-in').type('form').send({ apiKey: acme.apiKey });
    expect([valid.status, valid.headers.location]).toEqual([303, '/console/lists']);
    const operator = await request(app).post('/console/operator/sign-in').type('form').send({ token: OPERATOR_TOKEN });
    expect([operator.status, operator.headers.location]).toEqual([303, '/console/operator']);
    const wrongAgain = await request(app).post('/console/operator/sign-in').type('form').send({ token: `${OPERATOR_TOKEN}x` });
    expect(wrongAgain.status).toBe(429);
  });

  it('refuses a wrong key with 401 and the sign-in form again, setting no cookie', async () => {
    const { app, acme } = await consoleFixture();
    const res = await request(app).post('/console/sign-in').type('form').send({ apiKey: `${acme.apiKey.slice(0, -4)}AAAA` });
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.text).toContain('that API key is not valid');
  });

  it('sends a page request without a session to sign in, and answers a script without one 401', async () => {
    const { app, acmeList } = await consoleFixture();
    const page = await request(app).get(`/console/lists/${acmeList.listId}`);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/console/sign-in');
    const live = await request(app).get(`/console/lists/${acmeList.listId}/live.json`);
    expect(live.status).toBe(401);
  });

  it('ends the session at sign-out: the old cookie opens nothing any more', async () => {
    const { app, acme } = await consoleFixture();
    const { agent, csrf, cookie } = await signIn(app, acme.apiKey);
    const out = await agent.post('/console/sign-out').type('form').send({ _csrf: csrf });
    expect(out.status).toBe(303);
    expect(([] as string[]).concat(out.headers['set-cookie'] ?? [])[0]).toMatch(/^nps_console=; Path=\/console; Max-Age=0/);
    const replay = await request(app).get('/console/lists').set('Cookie', cookie.split(';')[0]!);
    expect(replay.status).toBe(303);
    expect(replay.headers.location).toBe('/console/sign-in');
  });

  it('expires a session left unused for CONSOLE_SESSION_MINUTES', async () => {
    const { app, acme, clock } = await consoleFixture();
    const { agent } = await signIn(app, acme.apiKey);
    clock.advance(29 * 60_000);
    expect((await agent.get('/console/lists')).status).toBe(200);
    clock.advance(30 * 60_000 + 1);
    expect((await agent.get('/console/lists')).status).toBe(303);
  });

  it('refuses a state change without the CSRF token, with a wrong one, and from another origin', async () => {
    const { app, acme, acmeList, acmeCases } = await consoleFixture();
    const { agent, csrf } = await signIn(app, acme.apiKey);
    const caseId = acmeCases[0]!;
    expect((await agent.post(`/console/cases/${caseId}`).type('form').send({ status: 'resolved' })).status).toBe(401);
    expect((await agent.post(`/console/cases/${caseId}`).type('form').send({ status: 'resolved', _csrf: `${csrf}x` })).status).toBe(401);
    const foreign = await agent.post(`/console/cases/${caseId}`).set('Origin', 'https://evil.example').type('form').send({ status: 'resolved', _csrf: csrf });
    expect(foreign.status).toBe(401);
    const page = await agent.get(`/console/lists/${acmeList.listId}`);
    expect(page.text).toContain(`data-testid="case-status-${caseId}">open<`);
  });

  it('serves the pages with a CSP that allows only its own script and styles', async () => {
    const { app, acme } = await consoleFixture();
    const { agent } = await signIn(app, acme.apiKey);
    const res = await agent.get('/console/lists');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).not.toMatch(/<script>(?!<\/script>)/);
    const script = await request(app).get('/console/assets/console.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
  });
});

describe("console: a client's pages", () => {
  it('lists only the caller\'s lists, with progress, and escapes their names', async () => {
    const { app, acme, acmeList, globexList } = await consoleFixture();
    const { agent } = await signIn(app, acme.apiKey);
    const res = await agent.get('/console/lists');
    expect(res.status).toBe(200);
    expect(res.text).toContain(`href="/console/lists/${acmeList.listId}"`);
    expect(res.text).toContain('Acme Q1 &#60;script&#62;');
    expect(res.text).not.toContain('Globex');
    expect(res.text).not.toContain(`/console/lists/${globexList.listId}"`);
    // 3 of 6 contacts final.
    expect(res.text).toContain('50.0%');
  });

  it("answers another client's list, its figures, downloads, recordings and cases exactly like missing ones", async () => {
    const { app, acme, globexList, globexCases } = await consoleFixture();
    const { agent, csrf } = await signIn(app, acme.apiKey);
    const id = globexList.listId;
    for (const path of [`/console/lists/${id}`, `/console/lists/${id}/report.json`, `/console/lists/${id}/report.csv`, `/console/lists/${id}/recordings/1`]) {
      expect({ path, status: (await agent.get(path)).status }).toEqual({ path, status: 404 });
    }
    expect((await agent.get(`/console/lists/${id}/live.json`)).status).toBe(404);
    const move = await agent.post(`/console/cases/${globexCases[0]}`).type('form').send({ status: 'resolved', _csrf: csrf });
    expect(move.status).toBe(404);
  });

  it('shows NPS, interval, distribution, waves, segments, agents, cases and comments without a full number', async () => {
    const { app, acme, acmeList, acmeCases } = await consoleFixture();
    const { agent } = await signIn(app, acme.apiKey);
    const res = await agent.get(`/console/lists/${acmeList.listId}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('data-testid="nps">+33.3<');
    expect(res.text).toContain('data-testid="waves"');
    expect(res.text).toContain('By region');
    expect(res.text).toContain('data-testid="agents"');
    expect(res.text).toContain(`data-case="${acmeCases[0]}"`);
    expect(res.text).toContain(`/console/lists/${acmeList.listId}/recordings/`);
    expect(res.text).toContain('+48******567');
    noFullNumber(res.text, ACME_PHONES);
  });

  it('downloads the JSON, CSV and HTML report as attachments, without the provider cost or a full number', async () => {
    const { app, acme, acmeList } = await consoleFixture();
    const { agent } = await signIn(app, acme.apiKey);
    for (const format of ['json', 'csv', 'html']) {
      const res = await agent.get(`/console/lists/${acmeList.listId}/report.${format}`).buffer(true).parse((r, done) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => done(null, text));
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="nps-report-list-${acmeList.listId}.${format}"`);
      const body = res.body as string;
      expect(body).not.toMatch(/providerCost|amountMicros/);
      noFullNumber(body, ACME_PHONES);
    }
    expect((await agent.get(`/console/lists/${acmeList.listId}/report.pdf`)).status).toBe(400);
  });

  it('moves a case through its states as the API allows, and says what a bad state is', async () => {
    const { app, acme, acmeList, acmeCases } = await consoleFixture();
    const { agent, csrf } = await signIn(app, acme.apiKey);
    const caseId = acmeCases[0]!;
    const moved = await agent.post(`/console/cases/${caseId}`).type('form').send({ status: 'contacted', _csrf: csrf });
    expect(moved.status).toBe(303);
    expect(moved.headers.location).toBe(`/console/lists/${acmeList.listId}#cases`);
    const api = await request(app).get('/api/v1/cases').set('Authorization', `Bearer ${acme.apiKey}`);
    expect(api.body.cases.find((c: { id: number }) => c.id === caseId)).toMatchObject({ status: 'contacted', contactedAt: expect.any(String) });
    const bad = await agent.post(`/console/cases/${caseId}`).type('form').send({ status: 'closed', _csrf: csrf });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('status: must be one of open, contacted, resolved, got &#34;closed&#34;');
  });

  it('serves live figures that follow new responses', async () => {
    const { app, acme, acmeList, database } = await consoleFixture();
    const { agent } = await signIn(app, acme.apiKey);
    const before = await agent.get(`/console/lists/${acmeList.listId}/live.json`);
    expect(before.body.text).toMatchObject({ nps: '+33.3', responses: '3' });
    database.sqlite.prepare(`UPDATE responses SET score = 0 WHERE list_id = ?`).run(acmeList.listId);
    const after = await agent.get(`/console/lists/${acmeList.listId}/live.json`);
    expect(after.body.text).toMatchObject({ nps: '-100.0', responses: '3' });
    expect(after.body.scores[0]).toBe(3);
  });
});

describe('console: a signed link', () => {
  it('opens its one list read-only, with no case form and no full number', async () => {
    const { app, acmeList, link } = await consoleFixture();
    const res = await request(app).get(`/console/links/${link(acmeList.listId)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('read-only link');
    expect(res.text).not.toContain('/console/cases/');
    expect(res.text).not.toContain('Detractor cases');
    noFullNumber(res.text, ACME_PHONES);
    const live = await request(app).get(`/console/links/${link(acmeList.listId)}/live.json`);
    expect(live.body.text.nps).toBe('+33.3');
    const download = await request(app).get(`/console/links/${link(acmeList.listId, 'csv')}/report`);
    expect(download.status).toBe(200);
    noFullNumber(download.text, ACME_PHONES);
  });

  it('refuses an altered link', async () => {
    const { app, acmeList, link } = await consoleFixture();
    const token = link(acmeList.listId);
    const res = await request(app).get(`/console/links/${token.slice(0, -2)}AA`);
    expect(res.status).toBe(401);
    expect(res.text).toContain('this link is not valid');
    noFullNumber(res.text, [...ACME_PHONES, ...GLOBEX_PHONES]);
  });
});

describe('console: the operator view', () => {
  async function operator(app: Parameters<typeof request.agent>[0]) {
    const agent = request.agent(app);
    const res = await agent.post('/console/operator/sign-in').type('form').send({ token: OPERATOR_TOKEN });
    expect(res.status).toBe(303);
    const page = await agent.get('/console/operator');
    return { agent, page, csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1]! };
  }

  it('refuses a wrong token, and a client session, the operator pages', async () => {
    const { app, acme } = await consoleFixture();
    const wrong = await request(app).post('/console/operator/sign-in').type('form').send({ token: `${OPERATOR_TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const { agent } = await signIn(app, acme.apiKey);
    const res = await agent.get('/console/operator');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console/operator/sign-in');
    expect((await agent.get('/console/operator/status.json')).status).toBe(401);
  });

  it("shows every client's lists, the dialer's state and a list's plan, never a full number", async () => {
    const { app, acmeList, globexList } = await consoleFixture();
    const { agent, page } = await operator(app);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`/console/operator/lists/${acmeList.listId}"`);
    expect(page.text).toContain(`/console/operator/lists/${globexList.listId}"`);
    expect(page.text).toContain('data-testid="holder">nobody dials<');
    const plan = await agent.get(`/console/operator/lists/${acmeList.listId}`);
    expect(plan.status).toBe(200);
    expect(plan.text).toContain('data-testid="plan"');
    noFullNumber(plan.text + page.text, [...ACME_PHONES, ...GLOBEX_PHONES]);
    const status = await agent.get('/console/operator/status.json');
    expect(status.body.status).toMatchObject({ liveCallsTotal: 0, pausedLists: [] });
  });

  it("shows this process's 429s and webhook times while it dials, and says so when it does not", async () => {
    const snapshot = { rateLimitedLastMinute: 2, rateLimitedTotal: 7, webhooksLastMinute: 1200, webhookP50Ms: 1.3, webhookP99Ms: 22.5 };
    const dialling = await operator((await consoleFixture({ operator: { gauges: () => snapshot } })).app);
    expect(dialling.page.text).toContain('data-testid="rate-limited">2 in the last minute, 7 since start<');
    expect(dialling.page.text).toContain('data-testid="webhook-latency">p50 1.3 ms, p99 22.5 ms over 1,200 in the last minute<');
    expect((await dialling.agent.get('/console/operator/status.json')).body.status.gauges).toEqual(snapshot);
    const idle = await operator((await consoleFixture()).app);
    expect(idle.page.text).toContain('data-testid="rate-limited">not dialling in this process<');
  });

  it('pauses and resumes a list with the CSRF token, and wakes the dialer', async () => {
    let woken = 0;
    const { app, acmeList, database } = await consoleFixture({ operator: { notifyChange: () => woken++ } });
    const { agent, csrf } = await operator(app);
    expect((await agent.post(`/console/operator/lists/${acmeList.listId}/pause`).type('form').send({})).status).toBe(401);
    const paused = await agent.post(`/console/operator/lists/${acmeList.listId}/pause`).type('form').send({ _csrf: csrf });
    expect(paused.status).toBe(303);
    const pausedAt = () => (database.sqlite.prepare('SELECT paused_at AS p FROM lists WHERE id = ?').get(acmeList.listId) as { p: number | null }).p;
    expect(pausedAt()).not.toBeNull();
    expect(woken).toBe(1);
    expect((await agent.get(`/console/operator/lists/${acmeList.listId}`)).text).toContain('data-testid="list-state">paused<');
    await agent.post(`/console/operator/lists/${acmeList.listId}/resume`).type('form').send({ _csrf: csrf });
    expect(pausedAt()).toBeNull();
    expect((await agent.post(`/console/operator/lists/${acmeList.listId}/stop`).type('form').send({ _csrf: csrf })).status).toBe(400);
    expect((await agent.post(`/console/operator/lists/999/pause`).type('form').send({ _csrf: csrf })).status).toBe(404);
  });
});
