import { createHmac } from 'node:crypto';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { PassThrough } from 'node:stream';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { describeDeliveries } from '../../src/cli/commands/run.js';
import { getClient, SqliteClientStore, updateClientSettings, changeListSettings, SqliteListStore } from '../../src/contacts/index.js';
import { ALERT_COMMENT_WAIT_MS, listAlerts, SqliteAlertStore } from '../../src/followup/index.js';
import { createLogger } from '../../src/logging/index.js';
import { listDeliverySummary, ReceiverAddresses, RECORDING_GRACE_MS, verifyPayloadSignature, type Resolve } from '../../src/notifications/index.js';
import { createRecordingLink, verifyRecordingLink } from '../../src/reports/index.js';
import { createList, signCallback, webhookHarness, TARIFF } from '../support/dialer.js';
import { deliveryWorker, keyScore, LOOPBACK_RECEIVERS, startReceiver, type Receiver } from '../support/followup.js';
import { seedClient, reportDeps } from '../support/reports.js';

const SECRET = 'whsec_test-secret-0123456789abcdef';
const LINK_SECRET = 'alerts-test-link-secret-0123456789abcdef';

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** A client with a list of one contact (agent Ann) and, when given, the client's alert URL. */
async function setup(options: { alertUrl?: string; caseOwner?: string } = {}) {
  const h = webhookHarness();
  const client = await seedClient(h.database, h.clock, 'Acme');
  const { listId, contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567' }, { phone: '+48501234568' }], policy: { callingHours: '00:00-24:00' } });
  h.database.sqlite.prepare('UPDATE lists SET client_id = ? WHERE id = ?').run(client.clientId, listId);
  h.database.sqlite.prepare(`UPDATE contacts SET attributes = '{"agent":"Ann","ticket":"T-1"}' WHERE list_id = ?`).run(listId);
  if (options.alertUrl || options.caseOwner) {
    await updateClientSettings({ clients: new SqliteClientStore(h.database), clientId: client.clientId, privateNetworks: LOOPBACK_RECEIVERS, patch: { ...(options.alertUrl ? { alertUrl: options.alertUrl, alertSecret: SECRET } : {}), ...(options.caseOwner ? { caseOwner: options.caseOwner } : {}) } });
  }
  return { h, clientId: client.clientId, listId, contactIds };
}

/** The alerts as `alerts list` shows them. */
const alertsOf = (h: ReturnType<typeof webhookHarness>) => listAlerts({ alerts: new SqliteAlertStore(h.database) });

const count = (h: ReturnType<typeof webhookHarness>, sql: string) => (h.database.sqlite.prepare(sql).get() as { n: number }).n;

describe('detractor follow-up at the score', () => {
  it('opens one case and queues one alert per low score, even when the input webhook is repeated', async () => {
    const { h, contactIds } = await setup({ caseOwner: 'Quality team' });
    const call = await keyScore(h, contactIds[0]!, '3');
    // The same webhook again, as Vonage retries it.
    const raw = JSON.stringify({ dtmf: { digits: '3', timed_out: true }, uuid: call.uuid });
    await request(h.app).post(`/webhooks/input/${call.ref}?step=question`).set('Content-Type', 'application/json').set('Authorization', signCallback(raw, { nowMs: h.clock.now() })).send(raw);
    expect(count(h, 'SELECT count(*) AS n FROM cases')).toBe(1);
    expect(count(h, `SELECT count(*) AS n FROM webhook_deliveries WHERE event = 'detractor.alert'`)).toBe(1);
    const opened = h.database.sqlite.prepare('SELECT score, agent, owner, status, due_at AS dueAt, created_at AS createdAt FROM cases').get() as Record<string, unknown>;
    expect(opened).toEqual({ score: 3, agent: 'Ann', owner: 'Quality team', status: 'open', dueAt: h.clock.now() + 48 * 3_600_000, createdAt: h.clock.now() });
  });

  it('opens nothing for a score above the threshold, and follows the list threshold when it is raised', async () => {
    const { h, listId, contactIds } = await setup();
    await keyScore(h, contactIds[0]!, '7');
    expect(count(h, 'SELECT count(*) AS n FROM cases')).toBe(0);
    await changeListSettings({ lists: new SqliteListStore(h.database), listId, patch: { followUp: { alertThreshold: 8, caseDeadlineHours: 24 } } });
    await keyScore(h, contactIds[1]!, '8');
    expect(h.database.sqlite.prepare('SELECT score, due_at - created_at AS window FROM cases').all()).toEqual([{ score: 8, window: 24 * 3_600_000 }]);
    expect(count(h, 'SELECT count(*) AS n FROM webhook_deliveries')).toBe(1);
  });
});

describe('clients set', () => {
  it('takes https URLs (http only for this machine), and generates the signing secret a URL needs', async () => {
    const h = webhookHarness();
    const { clientId } = await seedClient(h.database, h.clock, 'Acme');
    const wired = await updateClientSettings({ clients: new SqliteClientStore(h.database), clientId, patch: { alertUrl: 'https://crm.example.com/nps' } });
    expect(wired.generatedSecret).toMatch(/^whsec_[\w-]{43}$/);
    expect(wired.client).toMatchObject({ alertUrl: 'https://crm.example.com/nps', hasAlertSecret: true });
    await expect(updateClientSettings({ clients: new SqliteClientStore(h.database), clientId, patch: { alertUrl: 'http://crm.example.com/nps' } })).rejects.toThrow(
      "--alert-url: 'http://crm.example.com/nps' is not an https URL (http is accepted for localhost only), e.g. https://crm.example.com/nps/alerts",
    );
    await expect(updateClientSettings({ clients: new SqliteClientStore(h.database), clientId, patch: { alertSecret: null } })).rejects.toThrow('--alert-secret cannot be cleared while a webhook URL is set');
    // A second URL keeps the secret the client already holds.
    expect((await updateClientSettings({ clients: new SqliteClientStore(h.database), clientId, privateNetworks: LOOPBACK_RECEIVERS, patch: { reportUrl: 'http://127.0.0.1:8080/reports' } })).generatedSecret).toBeUndefined();
  });

  it('refuses a URL whose host is a loopback, private, link-local or metadata address, naming the setting that would allow it', async () => {
    const h = webhookHarness();
    const { clientId } = await seedClient(h.database, h.clock, 'Acme');
    const set = (alertUrl: string, privateNetworks?: string[]) => updateClientSettings({ clients: new SqliteClientStore(h.database), clientId, privateNetworks, patch: { alertUrl } });
    const unlessAllowed = '; webhooks go to public addresses only, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS lists its network (an on-premises receiver)';
    await expect(set('https://169.254.169.254/latest/meta-data/')).rejects.toThrow(
      `--alert-url: 'https://169.254.169.254/latest/meta-data/' is refused: 169.254.169.254 is a link-local address (cloud metadata services live there)${unlessAllowed}`,
    );
    await expect(set('http://127.0.0.1:3000/api/v1/lists')).rejects.toThrow(`--alert-url: 'http://127.0.0.1:3000/api/v1/lists' is refused: 127.0.0.1 is a loopback address${unlessAllowed}`);
    await expect(set('http://localhost:3000/api/v1/lists')).rejects.toThrow(`--alert-url: 'http://localhost:3000/api/v1/lists' is refused: localhost is a loopback name${unlessAllowed}`);
    await expect(set('https://10.1.2.3/nps')).rejects.toThrow('10.1.2.3 is a private address');
    await expect(set('https://[::ffff:192.168.1.5]/nps')).rejects.toThrow('192.168.1.5 is a private address');
    await expect(set('https://[fd00:ec2::254]/latest')).rejects.toThrow('fd00:ec2::254 is a private (unique local) address');
    await expect(set('https://100.100.100.200/latest')).rejects.toThrow('100.100.100.200 is a shared (carrier-grade NAT) address');
    await expect(set('https://0.0.0.0/nps')).rejects.toThrow('0.0.0.0 is the unspecified address');
    // An on-premises receiver in a listed network is taken; the metadata service still is not.
    await expect(set('https://10.1.2.3/nps', ['10.0.0.0/8'])).resolves.toMatchObject({ client: { alertUrl: 'https://10.1.2.3/nps' } });
    await expect(set('https://169.254.169.254/latest/meta-data/', ['10.0.0.0/8'])).rejects.toThrow('169.254.169.254 is a link-local address');
    expect((await getClient({ clients: new SqliteClientStore(h.database), clientId })).alertUrl).toBe('https://10.1.2.3/nps');
  });
});

describe('detractor alert delivery', () => {
  it('POSTs the alert signed with HMAC-SHA256 of the raw body: score, agent, list, masked number and a signed recording link', async () => {
    receiver = await startReceiver([200]);
    const { h, listId, contactIds } = await setup({ alertUrl: receiver.url });
    const call = await keyScore(h, contactIds[0]!, '2');
    // The comment was recorded and downloaded: the alert need not wait any longer.
    h.database.sqlite.prepare(`UPDATE responses SET comment_status = 'downloaded', comment_file = 'list-1/call-1.mp3', comment_seconds = 4`).run();
    const links = reportDeps(h.database, { clock: h.clock, config: { defaultTariff: TARIFF, recordingsDir: h.recordingsDir }, linkSecret: LINK_SECRET });
    const worker = deliveryWorker(h.database, h.clock, (target) => createRecordingLink(links, { ...target, baseUrl: 'https://dialer.example' }));

    expect(await worker.deliverDue()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [hit] = receiver.received;
    const header = hit!.headers['x-nps-signature'] as string;
    // The receiver's own check, written out: HMAC-SHA256 over the exact bytes received.
    expect(header).toBe(`sha256=${createHmac('sha256', SECRET).update(hit!.raw).digest('hex')}`);
    expect(verifyPayloadSignature(SECRET, hit!.raw, header)).toBe(true);
    expect(verifyPayloadSignature('another-secret-0123456789', hit!.raw, header)).toBe(false);
    expect(verifyPayloadSignature(SECRET, hit!.raw.replace('"score":2', '"score":9'), header)).toBe(false);
    expect(hit!.headers['x-nps-event']).toBe('detractor.alert');
    expect(hit!.body).toMatchObject({
      type: 'detractor.alert',
      score: 2,
      threshold: 6,
      agent: 'Ann',
      list: { id: listId },
      contact: { phone: '+48******567', attributes: { agent: 'Ann', ticket: 'T-1' } },
      callId: call.callId,
      comment: { status: 'downloaded', seconds: 4 },
      case: { owner: null, status: 'open' },
    });
    expect(hit!.raw).not.toContain('501234567');
    const url = (hit!.body.comment as { recordingUrl: string }).recordingUrl;
    expect(url).toMatch(/^https:\/\/dialer\.example\/api\/v1\/recording-links\//);
    expect(verifyRecordingLink(LINK_SECRET, url.split('/').pop()!, h.clock.now())).toMatchObject({ listId, callId: call.callId });
    expect((await alertsOf(h))[0]).toMatchObject({ status: 'delivered', attempts: 1, score: 2, agent: 'Ann', log: [{ attempt: 1, statusCode: 200, error: null }] });
  });

  it('retries a receiver that fails with exponential backoff, sending the same bytes, and logs every attempt', async () => {
    receiver = await startReceiver([500, 503, 200]);
    const { h, contactIds } = await setup({ alertUrl: receiver.url });
    await keyScore(h, contactIds[0]!, '0');
    const worker = deliveryWorker(h.database, h.clock);
    h.clock.advance(ALERT_COMMENT_WAIT_MS);

    expect(await worker.deliverDue()).toBe(1);
    expect(await worker.deliverDue()).toBe(0);
    h.clock.advance(30_000);
    expect(await worker.deliverDue()).toBe(1);
    // The second failure doubles the wait: 30 s is not enough any more.
    h.clock.advance(30_000);
    expect(await worker.deliverDue()).toBe(0);
    h.clock.advance(30_000);
    expect(await worker.deliverDue()).toBe(1);

    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.raw)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.headers['x-nps-delivery'])).size).toBe(1);
    expect(receiver.received.map((r) => r.headers['x-nps-attempt'])).toEqual(['1', '2', '3']);
    const [alert] = await alertsOf(h);
    expect(alert).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200 });
    expect(alert!.log.map((l) => [l.attempt, l.statusCode])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
    expect(alert!.log[0]!.error).toBe('the receiver answered HTTP 500');
  });

  it('marks an alert failed after its last attempt, and counts an unreachable receiver as a failed attempt', async () => {
    receiver = await startReceiver([200]);
    const { h, contactIds } = await setup({ alertUrl: receiver.url });
    await receiver.close();
    await keyScore(h, contactIds[0]!, '1');
    const worker = deliveryWorker(h.database, h.clock);
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    for (let i = 0; i < 3; i++) {
      expect(await worker.deliverDue()).toBe(1);
      h.clock.advance(10 * 60_000);
    }
    expect(await worker.deliverDue()).toBe(0);
    const [alert] = await alertsOf(h);
    expect(alert).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: null });
    expect(alert!.lastError).toMatch(/^request failed: /);
  });

  it('waits for the comment recording: not sent at the score, sent once the call has ended without a recording', async () => {
    receiver = await startReceiver([200]);
    const { h, contactIds } = await setup({ alertUrl: receiver.url });
    const call = await keyScore(h, contactIds[0]!, '4');
    const worker = deliveryWorker(h.database, h.clock);
    expect(await worker.deliverDue()).toBe(0);
    h.database.sqlite.prepare(`UPDATE calls SET state = 'ended', outcome = 'human', ended_at = ? WHERE id = ?`).run(h.clock.now(), call.callId);
    expect(await worker.deliverDue()).toBe(0);
    h.clock.advance(RECORDING_GRACE_MS);
    expect(await worker.deliverDue()).toBe(1);
    expect(receiver.received[0]!.body).toMatchObject({ score: 4, comment: { status: 'none', recordingUrl: null } });
  });

  it("sends a list's waiting alerts at once when `run` flushes it at its end, and only that list's", async () => {
    receiver = await startReceiver([200]);
    const { h, listId, contactIds } = await setup({ alertUrl: receiver.url });
    const other = createList(h.database, { contacts: [{ phone: '+48501234599' }], policy: { callingHours: '00:00-24:00' } });
    h.database.sqlite.prepare('UPDATE lists SET client_id = (SELECT client_id FROM lists WHERE id = ?) WHERE id = ?').run(listId, other.listId);
    const call = await keyScore(h, contactIds[0]!, '4');
    await keyScore(h, other.contactIds[0]!, '1');
    h.database.sqlite.prepare(`UPDATE calls SET state = 'ended', outcome = 'human', ended_at = ? WHERE id = ?`).run(h.clock.now(), call.callId);
    const worker = deliveryWorker(h.database, h.clock);
    // Neither is due yet: no grace time has passed, no recording has come.
    expect(await worker.deliverDue()).toBe(0);
    expect(await worker.flushList(listId)).toBe(1);
    expect(receiver.received.map((r) => r.body)).toEqual([expect.objectContaining({ score: 4, comment: expect.objectContaining({ status: 'none' }) })]);
    // Flushed once: a second flush finds nothing never tried; the other list's alert still waits.
    expect(await worker.flushList(listId)).toBe(0);
    expect(h.database.sqlite.prepare(`SELECT list_id AS listId, status, attempts FROM webhook_deliveries ORDER BY id`).all()).toEqual([
      { listId, status: 'delivered', attempts: 1 },
      { listId: other.listId, status: 'pending', attempts: 0 },
    ]);
    await worker.close();
  });

  it('says the threshold the score was judged by, even when the list changed it while the alert waited', async () => {
    receiver = await startReceiver([200]);
    const { h, listId, contactIds } = await setup({ alertUrl: receiver.url });
    await keyScore(h, contactIds[0]!, '5');
    await changeListSettings({ lists: new SqliteListStore(h.database), listId, patch: { followUp: { alertThreshold: 3, caseDeadlineHours: 48 } } });
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    expect(await deliveryWorker(h.database, h.clock).deliverDue()).toBe(1);
    expect(receiver.received[0]!.body).toMatchObject({ score: 5, threshold: 6 });
  });

  it('keeps a pending alert across a restart: the next worker delivers it, once', async () => {
    receiver = await startReceiver([502, 200]);
    const { h, contactIds } = await setup({ alertUrl: receiver.url });
    await keyScore(h, contactIds[0]!, '5');
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    const first = deliveryWorker(h.database, h.clock);
    await first.deliverDue();
    await first.close();

    const second = deliveryWorker(h.database, h.clock);
    h.clock.advance(30_000);
    expect(await second.deliverDue()).toBe(1);
    h.clock.advance(3_600_000);
    expect(await second.deliverDue()).toBe(0);
    expect(receiver.received.map((r) => r.body.score)).toEqual([5, 5]);
    expect((await alertsOf(h))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('sends the user and password of a URL as Basic authorization, and never stores or shows them', async () => {
    receiver = await startReceiver([500, 200]);
    const withCredentials = receiver.url.replace('http://', 'http://hook-user:p%40ss-s3cret@') + '?token=receiver-token';
    const { h, contactIds } = await setup({ alertUrl: withCredentials });
    await keyScore(h, contactIds[0]!, '2');
    const worker = deliveryWorker(h.database, h.clock);
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    expect(await worker.deliverDue()).toBe(1);
    h.clock.advance(30_000);
    expect(await worker.deliverDue()).toBe(1);
    expect(receiver.received.map((r) => r.headers.authorization)).toEqual([
      `Basic ${Buffer.from('hook-user:p@ss-s3cret').toString('base64')}`,
      `Basic ${Buffer.from('hook-user:p@ss-s3cret').toString('base64')}`,
    ]);
    const [alert] = await alertsOf(h);
    expect(alert).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(JSON.stringify(alert)).not.toMatch(/s3cret|receiver-token/);
    expect(alert!.log.map((l) => l.target)).toEqual([receiver.url, receiver.url]);
  });

  it('finishes a pass when one attempt cannot be recorded: the others are recorded, none is left in flight', async () => {
    receiver = await startReceiver([200]);
    const { h, contactIds } = await setup({ alertUrl: receiver.url });
    await keyScore(h, contactIds[0]!, '1');
    await keyScore(h, contactIds[1]!, '2');
    const [first, second] = (h.database.sqlite.prepare('SELECT id FROM webhook_deliveries ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    // The record of the first delivery's attempt fails (as a busy database would make it).
    h.database.sqlite.exec(`CREATE TEMP TRIGGER fail_first BEFORE INSERT ON webhook_attempts WHEN NEW.delivery_id = ${first} BEGIN SELECT RAISE(ABORT, 'database is locked'); END`);
    const worker = deliveryWorker(h.database, h.clock);
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    expect(await worker.deliverDue()).toBe(2);
    const status = (id: number) => (h.database.sqlite.prepare('SELECT status, attempts FROM webhook_deliveries WHERE id = ?').get(id) as { status: string; attempts: number });
    expect(status(second!)).toEqual({ status: 'delivered', attempts: 1 });
    // The unrecorded one stays pending and goes again (delivery is at least once).
    expect(status(first!)).toEqual({ status: 'pending', attempts: 0 });
    h.database.sqlite.exec('DROP TRIGGER fail_first');
    expect(await worker.deliverDue()).toBe(1);
    expect(status(first!)).toEqual({ status: 'delivered', attempts: 1 });
    expect(receiver.received).toHaveLength(3);
  });

  it('does not send an alert when the client has no alert URL, and says why', async () => {
    const { h, clientId, contactIds } = await setup();
    await keyScore(h, contactIds[0]!, '3');
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    expect(await deliveryWorker(h.database, h.clock).deliverDue()).toBe(1);
    expect((await alertsOf(h))[0]).toMatchObject({ status: 'skipped', attempts: 0, lastError: `client ${clientId} has no alert URL (clients set --alert-url)`, log: [] });
  });

  it('says so in one log line however many alerts go unsent for the same reason, and run sums them up in one line', async () => {
    const { h, clientId, listId, contactIds } = await setup();
    await keyScore(h, contactIds[0]!, '3');
    await keyScore(h, contactIds[1]!, '2');
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const worker = deliveryWorker(h.database, h.clock, () => null, undefined, createLogger({ level: 'info', format: 'json', stream }));
    expect(await worker.deliverDue()).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((line) => line.includes('webhook not sent'))).toHaveLength(1);
    const reason = `client ${clientId} has no alert URL (clients set --alert-url)`;
    const summary = listDeliverySummary(h.database, listId);
    expect(summary).toEqual({ delivered: 0, pending: 0, failed: 0, skipped: [{ reason, deliveries: 2 }] });
    expect(describeDeliveries(summary)).toBe(`Webhooks to the client: 0 delivered; 2 not sent: ${reason}.`);
  });
});

describe('where alerts may not go', () => {
  const SECRET_SQL = 'UPDATE clients SET alert_url = ?, alert_secret = ? WHERE id = ?';
  /** A URL stored as it is (one saved before the check existed, or by hand): the sender checks again. */
  async function storedUrl(url: string) {
    const s = await setup();
    s.h.database.sqlite.prepare(SECRET_SQL).run(url, SECRET, s.clientId);
    return s;
  }
  const lastAttempt = async (h: ReturnType<typeof webhookHarness>) => (await alertsOf(h))[0]!.log.at(-1)!;

  it('refuses link-local, private and metadata addresses before connecting, and records why', async () => {
    for (const [url, reason] of [
      ['https://169.254.169.254/latest/meta-data/iam/', '169.254.169.254 is a link-local address (cloud metadata services live there)'],
      ['http://10.0.0.1:8080/nps', '10.0.0.1 is a private address'],
      ['https://[::ffff:169.254.169.254]/latest', '169.254.169.254 is a link-local address (cloud metadata services live there)'],
      ['https://[fe80::1]/nps', 'fe80::1 is a link-local address (cloud metadata services live there)'],
    ] as const) {
      const { h, contactIds } = await storedUrl(url);
      await keyScore(h, contactIds[0]!, '2');
      h.clock.advance(ALERT_COMMENT_WAIT_MS);
      // Nothing is allowed; the check is made before any socket is opened (no lookup for a literal).
      expect(await deliveryWorker(h.database, h.clock, undefined, { privateNetworks: [] }).deliverDue()).toBe(1);
      expect(await lastAttempt(h)).toMatchObject({ statusCode: null, error: `refused: ${reason}; webhooks go to public addresses only, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS lists its network (an on-premises receiver)` });
    }
  });

  it('refuses localhost unless loopback is allowed, and then delivers to the receiver on this machine', async () => {
    receiver = await startReceiver([200]);
    const port = new URL(receiver.url).port;
    const { h, contactIds } = await storedUrl(`http://localhost:${port}/nps/alerts`);
    await keyScore(h, contactIds[0]!, '2');
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    expect(await deliveryWorker(h.database, h.clock, undefined, { privateNetworks: [] }).deliverDue()).toBe(1);
    expect((await lastAttempt(h)).error).toBe('refused: localhost is a loopback name; webhooks go to public addresses only, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS lists its network (an on-premises receiver)');
    expect(receiver.received).toHaveLength(0);
    // WEBHOOK_ALLOW_PRIVATE_NETWORKS=127.0.0.1,::1 lets a receiver on this machine in.
    h.clock.advance(60_000);
    expect(await deliveryWorker(h.database, h.clock, undefined, { privateNetworks: ['127.0.0.1/32', '::1/128'] }).deliverDue()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    expect((await alertsOf(h))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('checks the address the connection is made to: a name that resolved to loopback is refused, whatever it resolved to before', async () => {
    receiver = await startReceiver([200]);
    const port = new URL(receiver.url).port;
    const { h, contactIds } = await storedUrl(`http://crm.example.test:${port}/nps/alerts`);
    await keyScore(h, contactIds[0]!, '2');
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    // A resolver under the attacker's control: the answer may change between any check and the connection.
    const asked: string[] = [];
    const resolve = ((hostname: string, options: LookupOptions, callback: (error: null, address: LookupAddress[] | string, family?: number) => void) => {
      asked.push(hostname);
      if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as unknown as Resolve;
    expect(await deliveryWorker(h.database, h.clock, undefined, { privateNetworks: [], resolve }).deliverDue()).toBe(1);
    expect(asked).toEqual(['crm.example.test']);
    expect((await lastAttempt(h)).error).toBe(
      'refused: crm.example.test resolves to 127.0.0.1, a loopback address; webhooks go to public addresses only, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS lists its network (an on-premises receiver)',
    );
    expect(receiver.received).toHaveLength(0);
    h.clock.advance(60_000);
    expect(await deliveryWorker(h.database, h.clock, undefined, { privateNetworks: ['127.0.0.0/8'], resolve }).deliverDue()).toBe(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('does not follow a redirect: the signed body goes only to the configured receiver', async () => {
    receiver = await startReceiver([200]);
    const elsewhere = receiver.url;
    const redirecting = createServer((_req, res) => {
      res.writeHead(307, { Location: elsewhere }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = redirecting.address() as AddressInfo;
      const { h, contactIds } = await setup({ alertUrl: `http://127.0.0.1:${port}/nps` });
      await keyScore(h, contactIds[0]!, '2');
      h.clock.advance(ALERT_COMMENT_WAIT_MS);
      expect(await deliveryWorker(h.database, h.clock).deliverDue()).toBe(1);
      expect(await lastAttempt(h)).toMatchObject({ statusCode: 307, error: 'the receiver answered HTTP 307' });
      expect(receiver.received).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
    }
  });
});

describe('ReceiverAddresses', () => {
  const addresses = new ReceiverAddresses(['10.20.0.0/16']);
  /** Runs the connection's lookup over a resolver that answers `answer`, as net.connect would call it. */
  const lookUp = (answer: string[], all: boolean) =>
    new Promise<{ error: Error | null; address: unknown }>((resolve) => {
      const resolver = ((_host: string, _options: LookupOptions, callback: (error: null, address: LookupAddress[] | string, family?: number) => void) =>
        all ? callback(null, answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))) : callback(null, answer[0]!, 4)) as unknown as Resolve;
      addresses.lookup(resolver)('crm.example.test', { all }, (error, address) => resolve({ error, address }));
    });

  it('refuses every special-purpose range and passes public addresses and the allowed networks', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '169.254.169.254', 'fe80::1', '10.1.1.1', '172.16.0.1', '192.168.0.1', 'fd00:ec2::254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::ffff:127.0.0.1', '192.0.0.192']) {
      expect(addresses.refusal(address)).toMatch(/webhooks go to public addresses only/);
    }
    for (const address of ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '10.20.30.40', '::ffff:10.20.1.1']) expect(addresses.refusal(address)).toBeUndefined();
  });

  it("refuses a name whose address, or any one of its addresses, is private, in the connection's own lookup", async () => {
    expect((await lookUp(['10.1.2.3'], false)).error?.message).toMatch(/^crm\.example\.test resolves to 10\.1\.2\.3, a private address;/);
    expect((await lookUp(['93.184.215.14', '169.254.169.254'], true)).error?.message).toMatch(/^crm\.example\.test resolves to 169\.254\.169\.254, a link-local address/);
    expect(await lookUp(['93.184.215.14', '10.20.5.5'], true)).toEqual({ error: null, address: [{ address: '93.184.215.14', family: 4 }, { address: '10.20.5.5', family: 4 }] });
    expect(await lookUp(['93.184.215.14'], false)).toEqual({ error: null, address: '93.184.215.14' });
  });
});
