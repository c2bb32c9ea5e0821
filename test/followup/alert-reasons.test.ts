import { afterEach, describe, expect, it } from '@jest/globals';
import { SqliteClientStore, updateClientSettings } from '../../src/contacts/index.js';
import { ALERT_COMMENT_WAIT_MS } from '../../src/followup/index.js';
import { createList, webhookHarness } from '../support/dialer.js';
import { deliveryWorker, keyScore, LOOPBACK_RECEIVERS, startReceiver, type Receiver } from '../support/followup.js';
import { seedClient } from '../support/reports.js';

const SECRET = 'whsec_test-secret-0123456789abcdef';

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function setup() {
  receiver = await startReceiver([200]);
  const h = webhookHarness();
  const client = await seedClient(h.database, h.clock, 'Acme');
  const { listId, contactIds } = createList(h.database, { contacts: [{ phone: '+48501234567' }], policy: { callingHours: '00:00-24:00' } });
  h.database.sqlite.prepare('UPDATE lists SET client_id = ? WHERE id = ?').run(client.clientId, listId);
  await updateClientSettings({ clients: new SqliteClientStore(h.database), clientId: client.clientId, privateNetworks: LOOPBACK_RECEIVERS, patch: { alertUrl: receiver.url, alertSecret: SECRET } });
  const call = await keyScore(h, contactIds[0]!, '2');
  const responseId = (h.database.sqlite.prepare('SELECT id FROM responses').get() as { id: number }).id;
  return { h, listId, call, responseId };
}

describe('a detractor alert with reasons', () => {
  it("waits for a pending text even when the recording is downloaded, then carries the words, themes, sentiment and keypad reason", async () => {
    const { h, listId, responseId } = await setup();
    h.database.sqlite
      .prepare(`UPDATE responses SET comment_status = 'downloaded', comment_file = 'list-1/call-1.mp3', comment_seconds = 4, comment_mode = 'recording', comment_text_status = 'pending', reason = 'price', reason_outcome = 'chosen' WHERE id = ?`)
      .run(responseId);
    const worker = deliveryWorker(h.database, h.clock);
    expect(await worker.deliverDue()).toBe(0);
    // The transcript arrives and is judged.
    h.database.sqlite.prepare(`UPDATE responses SET comment_text_status = 'ready', comment_text = 'Far too expensive', comment_language = 'en-US', sentiment = 'negative', sentiment_source = 'engine', themes_source = 'engine' WHERE id = ?`).run(responseId);
    h.database.sqlite.prepare('INSERT INTO response_themes (response_id, list_id, theme) VALUES (?, ?, ?)').run(responseId, listId, 'price');
    expect(await worker.deliverDue()).toBe(1);
    expect(receiver!.received[0]!.body).toMatchObject({
      score: 2,
      reason: 'price',
      comment: { status: 'downloaded', textStatus: 'ready', text: 'Far too expensive', language: 'en-US', themes: ['price'], sentiment: 'negative' },
    });
  });

  it('goes at the end of its bounded wait when the text never comes, saying the text is still pending', async () => {
    const { h, responseId } = await setup();
    h.database.sqlite.prepare(`UPDATE responses SET comment_status = 'downloaded', comment_file = 'list-1/call-1.mp3', comment_text_status = 'pending' WHERE id = ?`).run(responseId);
    const worker = deliveryWorker(h.database, h.clock);
    expect(await worker.deliverDue()).toBe(0);
    h.clock.advance(ALERT_COMMENT_WAIT_MS);
    expect(await worker.deliverDue()).toBe(1);
    expect(receiver!.received[0]!.body).toMatchObject({ reason: null, comment: { textStatus: 'pending', text: null, themes: [], sentiment: null } });
  });
});
