import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import type { AppDatabase } from '../db/index.js';
import { AppError } from '../errors/index.js';
import { generateWebhookSecret, ReceiverAddresses } from '../notifications/index.js';

export interface Client {
  id: number;
  name: string;
  apiKeyPrefix: string | null;
  createdAt: number;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Creates a client and its API key. The key is returned once and only its sha256 is stored: a
 * stolen database does not give access to any client's reports.
 */
export function addClient(options: { database: AppDatabase; clock: Clock; name: string }): { client: Client; apiKey: string } {
  const name = options.name.trim();
  if (!name) throw new AppError('USAGE', 'the client name must not be empty');
  const apiKey = `npsk_${randomBytes(24).toString('base64url')}`;
  const prefix = apiKey.slice(0, 12);
  const { sqlite } = options.database;
  if (sqlite.prepare('SELECT 1 FROM clients WHERE name = ?').get(name)) {
    throw new AppError('CONFLICT', `a client named "${name}" already exists; see \`nps-dialer clients list\``);
  }
  const row = sqlite
    .prepare('INSERT INTO clients (name, api_key_hash, api_key_prefix, created_at) VALUES (?, ?, ?, ?) RETURNING id, name, api_key_prefix AS apiKeyPrefix, created_at AS createdAt')
    .get(name, hashApiKey(apiKey), prefix, options.clock.now()) as Client;
  return { client: row, apiKey };
}

export function listClients(options: { database: AppDatabase }): Client[] {
  return options.database.sqlite
    .prepare('SELECT id, name, api_key_prefix AS apiKeyPrefix, created_at AS createdAt FROM clients ORDER BY id')
    .all() as Client[];
}

/**
 * Finds the client an API key belongs to. The comparison of hashes is constant-time, and the lookup
 * is by prefix so that a timing difference reveals nothing about the secret part.
 */
export function authenticateClient(database: AppDatabase, apiKey: string): Client | undefined {
  if (!/^npsk_[\w-]{20,64}$/.test(apiKey)) return undefined;
  const candidates = database.sqlite
    .prepare('SELECT id, name, api_key_prefix AS apiKeyPrefix, api_key_hash AS hash, created_at AS createdAt FROM clients WHERE api_key_prefix = ?')
    .all(apiKey.slice(0, 12)) as (Client & { hash: string })[];
  const presented = Buffer.from(hashApiKey(apiKey), 'hex');
  for (const { hash, ...client } of candidates) {
    if (timingSafeEqual(Buffer.from(hash, 'hex'), presented)) return client;
  }
  return undefined;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A webhook URL: https, or http to this machine only (a local receiver, tests). A signed body with a
 * customer's score should not cross a network in clear.
 */
export const WebhookUrl = z
  .string()
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
      } catch {
        return false;
      }
    },
    { error: (issue) => `'${String(issue.input)}' is not an https URL (http is accepted for localhost only), e.g. https://crm.example.com/nps/alerts` },
  );

/** `clients set`: what a client's follow-up is wired to. null clears a value. */
export const ClientSettingsPatch = z.strictObject({
  alertUrl: WebhookUrl.nullable().optional(),
  alertSecret: z.string().trim().min(16, 'the webhook secret must be at least 16 characters').max(200).nullable().optional(),
  reportUrl: WebhookUrl.nullable().optional(),
  caseOwner: z.string().trim().min(1).max(100).nullable().optional(),
});
export type ClientSettingsPatch = z.infer<typeof ClientSettingsPatch>;

export interface ClientDetails extends Client {
  alertUrl: string | null;
  reportUrl: string | null;
  caseOwner: string | null;
  /** Whether a webhook secret is set (the secret itself is shown once, when generated). */
  hasAlertSecret: boolean;
}

export function getClient(options: { database: AppDatabase; clientId: number }): ClientDetails {
  const row = options.database.sqlite
    .prepare(
      `SELECT id, name, api_key_prefix AS apiKeyPrefix, created_at AS createdAt, alert_url AS alertUrl, report_url AS reportUrl, case_owner AS caseOwner,
              alert_secret IS NOT NULL AS hasAlertSecret FROM clients WHERE id = ?`,
    )
    .get(options.clientId) as (Omit<ClientDetails, 'hasAlertSecret'> & { hasAlertSecret: number }) | undefined;
  if (!row) throw new AppError('NOT_FOUND', `client ${options.clientId} does not exist; see \`nps-dialer clients list\``);
  return { ...row, hasAlertSecret: row.hasAlertSecret === 1 };
}

/**
 * Sets where a client's alerts and interim reports go, the secret that signs them, and the
 * default owner of its cases. A webhook URL needs a secret: when none is stored or given, one is
 * generated and returned (shown once by the CLI, which the client needs to check signatures).
 * A URL whose host is a loopback, private or link-local address (or `localhost`) is refused
 * unless `privateNetworks` (WEBHOOK_ALLOW_PRIVATE_NETWORKS) lists it; a name is judged by the
 * address it resolves to at each delivery (src/notifications/receivers.ts).
 */
export function updateClientSettings(options: { database: AppDatabase; clientId: number; patch: unknown; privateNetworks?: readonly string[] | undefined }): {
  client: ClientDetails;
  generatedSecret: string | undefined;
} {
  const parsed = ClientSettingsPatch.safeParse(options.patch);
  if (!parsed.success) throw new AppError('USAGE', parsed.error.issues.map((i) => `${i.path.length ? `--${kebab(String(i.path[0]))}: ` : ''}${i.message}`).join('; '));
  const patch = parsed.data;
  const receivers = new ReceiverAddresses(options.privateNetworks);
  const refused = (['alertUrl', 'reportUrl'] as const).flatMap((field) => {
    const url = patch[field];
    const why = url ? receivers.hostRefusal(new URL(url).hostname) : undefined;
    return why ? [`--${kebab(field)}: '${url}' is refused: ${why}`] : [];
  });
  if (refused.length > 0) throw new AppError('USAGE', refused.join('; '));
  const current = getClient(options);
  const willHaveUrl = (patch.alertUrl !== undefined ? patch.alertUrl : current.alertUrl) !== null || (patch.reportUrl !== undefined ? patch.reportUrl : current.reportUrl) !== null;
  let generatedSecret: string | undefined;
  if (willHaveUrl && patch.alertSecret === undefined && !current.hasAlertSecret) generatedSecret = generateWebhookSecret();
  if (patch.alertSecret === null && willHaveUrl) throw new AppError('USAGE', '--alert-secret cannot be cleared while a webhook URL is set; webhooks are always signed');
  const set = (column: string, value: string | null | undefined) => (value === undefined ? [] : [[column, value] as const]);
  const changes = [
    ...set('alert_url', patch.alertUrl),
    ...set('alert_secret', generatedSecret ?? patch.alertSecret),
    ...set('report_url', patch.reportUrl),
    ...set('case_owner', patch.caseOwner),
  ];
  if (changes.length > 0) {
    options.database.sqlite.prepare(`UPDATE clients SET ${changes.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...changes.map(([, v]) => v), options.clientId);
  }
  return { client: getClient(options), generatedSecret };
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
