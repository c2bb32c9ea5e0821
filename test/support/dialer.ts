import { createHash, randomUUID } from 'node:crypto';
import { tokenGenerate } from '@vonage/jwt';
import jwt from 'jsonwebtoken';
import { ManualClock } from '../../src/clock/index.js';
import type { Tariff } from '../../src/config/index.js';
import { openMemoryDatabase, sqliteReader, type AppDatabase } from '../../src/db/index.js';
import { CallSignals, RecordingDownloads, sqliteCallUnits, webhookUrls, type CallDeps } from '../../src/calls/index.js';
import { sqliteCommentStores, type CommentStores } from '../../src/comments/index.js';
import { ListSettingsBook } from '../../src/contacts/index.js';
import { createHttpApp, type WebhookDeps } from '../../src/http/index.js';
import { createSilentLogger, type Logger } from '../../src/logging/index.js';
import { DEFAULT_CALLBACK_TOKEN_WINDOW } from '../../src/telephony/index.js';
import { tempDir } from './factories.js';

export const SIGNATURE_SECRET = 'test-signature-secret-0123456789';
export const TARIFF: Tariff = { currency: 'EUR', callFeeMinor: 10, perMinuteMinor: 12, firstIncrementSeconds: 60, nextIncrementSeconds: 60 };

/** Inserts a ready list with contacts; returns their ids. Policy and script as given. */
export function createList(
  database: AppDatabase,
  options: { contacts: { phone: string; country?: string; timezone?: string | null; language?: string }[]; policy?: object; script?: object; now?: number; name?: string },
): { listId: number; contactIds: number[] } {
  const now = options.now ?? Date.UTC(2026, 0, 5, 10, 0, 0);
  const { sqlite } = database;
  const listId = (
    sqlite
      .prepare(`INSERT INTO lists (name, script, policy, state, created_at) VALUES (?, ?, ?, 'ready', ?) RETURNING id`)
      .get(options.name ?? `list-${randomUUID().slice(0, 8)}`, JSON.stringify(options.script ?? { company: 'Acme' }), JSON.stringify(options.policy ?? {}), now) as { id: number }
  ).id;
  const contactIds = options.contacts.map(
    (c, i) =>
      (
        sqlite
          .prepare(
            `INSERT INTO contacts (list_id, row_number, phone_e164, country, timezone, language, status, attempts, next_attempt_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id`,
          )
          .get(listId, i + 2, c.phone, c.country ?? 'PL', c.timezone ?? null, c.language ?? null, now, now) as { id: number }
      ).id,
  );
  return { listId, contactIds };
}

/** Puts a contact in `dialing` with a live call attempt, as the dialer would just before the create. */
export function startCall(database: AppDatabase, contactId: number, options: { attempt?: number; uuid?: string; now?: number } = {}): { callId: number; ref: string; uuid: string } {
  const attempt = options.attempt ?? 1;
  const ref = randomUUID().replace(/-/g, '');
  const uuid = options.uuid ?? randomUUID();
  const { sqlite } = database;
  const contact = sqlite.prepare('SELECT list_id AS listId FROM contacts WHERE id = ?').get(contactId) as { listId: number };
  sqlite.prepare(`UPDATE contacts SET status = 'dialing', attempts = ? WHERE id = ?`).run(attempt, contactId);
  const callId = (
    sqlite
      .prepare(`INSERT INTO calls (contact_id, list_id, attempt, ref, provider_uuid, state, created_at) VALUES (?, ?, ?, ?, ?, 'started', ?) RETURNING id`)
      .get(contactId, contact.listId, attempt, ref, uuid, options.now ?? Date.UTC(2026, 0, 5, 10, 0, 0)) as { id: number }
  ).id;
  return { callId, ref, uuid };
}

/**
 * A callback Authorization header exactly as Vonage signs it: HS256, payload_hash of the raw body,
 * `iat` at `nowMs` (the receiving app's clock: a webhook harness's ManualClock, or real time).
 */
export function signCallback(rawBody: string, options: { secret?: string; nowMs?: number } = {}): string {
  const { secret = SIGNATURE_SECRET, nowMs = Date.now() } = options;
  const token = jwt.sign(
    {
      iat: Math.floor(nowMs / 1000),
      jti: randomUUID(),
      iss: 'Vonage',
      payload_hash: createHash('sha256').update(rawBody).digest('hex'),
      api_key: 'abcd1234',
      application_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
    },
    secret,
    // An explicit iat is kept as given (noTimestamp would delete it).
    { algorithm: 'HS256' },
  );
  return `Bearer ${token}`;
}

export interface WebhookHarness {
  deps: WebhookDeps;
  app: ReturnType<typeof createHttpApp>;
  database: AppDatabase;
  /** The comment pipeline's stores on the same database (the recording queue's). */
  commentStores: CommentStores;
  clock: ManualClock;
  recordingsDir: string;
}

/** The real webhook app over a fresh in-memory database, with a manual clock. */
export function webhookHarness(options: { apiHost?: string; privateKey?: string; logger?: Logger } = {}): WebhookHarness {
  const database = openMemoryDatabase();
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0, 0));
  const logger = options.logger ?? createSilentLogger();
  const recordingsDir = tempDir('nps-rec-');
  const base: CallDeps = { units: sqliteCallUnits(database), clock, logger, signals: new CallSignals(), lists: new ListSettingsBook(sqliteReader(database), { defaultTariff: TARIFF }) };
  const commentStores = sqliteCommentStores(database);
  const recordings = new RecordingDownloads({
    comments: commentStores.comments,
    clock,
    logger,
    authorization: async () => `Bearer ${tokenGenerate('aaaaaaaa-bbbb-cccc-dddd-0123456789ab', options.privateKey ?? '')}`,
    policy: { apiHost: options.apiHost ?? 'https://api.nexmo.com', extraHosts: [] },
    recordingsDir,
    retryDelayMs: 1000,
  });
  const deps: WebhookDeps = { ...base, recordings, signatureSecret: SIGNATURE_SECRET, tokenWindow: DEFAULT_CALLBACK_TOKEN_WINDOW, tokenClock: clock, urls: webhookUrls('https://dialer.example') };
  return { deps, app: createHttpApp({ logger, webhooks: deps }), database, commentStores, clock, recordingsDir };
}
