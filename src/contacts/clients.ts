import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock/index.js';
import { AppError } from '../errors/index.js';
import { generateWebhookSecret, ReceiverAddresses } from '../notifications/index.js';
import type { Client, ClientDetails, ClientStore } from './client-store.js';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Creates a client and its API key. The key is returned once and only its sha256 is stored: a
 * stolen database does not give access to any client's reports.
 */
export async function addClient(options: { clients: ClientStore; clock: Clock; name: string }): Promise<{ client: Client; apiKey: string }> {
  const name = options.name.trim();
  if (!name) throw new AppError('USAGE', 'the client name must not be empty');
  const apiKey = `npsk_${randomBytes(24).toString('base64url')}`;
  const client = await options.clients.add({ name, apiKeyHash: hashApiKey(apiKey), apiKeyPrefix: apiKey.slice(0, 12), createdAt: options.clock.now() });
  if (!client) throw new AppError('CONFLICT', `a client named "${name}" already exists; see \`nps-dialer clients list\``);
  return { client, apiKey };
}

/** Every client, oldest first. */
export function listClients(options: { clients: ClientStore }): Promise<Client[]> {
  return options.clients.all();
}

/**
 * Finds the client an API key belongs to. The comparison of hashes is constant-time, and the lookup
 * is by prefix so that a timing difference reveals nothing about the secret part.
 */
export async function authenticateClient(clients: ClientStore, apiKey: string): Promise<Client | undefined> {
  if (!/^npsk_[\w-]{20,64}$/.test(apiKey)) return undefined;
  const candidates = await clients.withKeyPrefix(apiKey.slice(0, 12));
  const presented = Buffer.from(hashApiKey(apiKey), 'hex');
  for (const { client, apiKeyHash } of candidates) {
    if (timingSafeEqual(Buffer.from(apiKeyHash, 'hex'), presented)) return client;
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

export async function getClient(options: { clients: ClientStore; clientId: number }): Promise<ClientDetails> {
  const client = await options.clients.get(options.clientId);
  if (!client) throw notFound(options.clientId);
  return client;
}

const notFound = (clientId: number) => new AppError('NOT_FOUND', `client ${clientId} does not exist; see \`nps-dialer clients list\``);

/**
 * Sets where a client's alerts and interim reports go, the secret that signs them, and the
 * default owner of its cases. A webhook URL needs a secret: when none is stored or given, one is
 * generated and returned (shown once by the CLI, which the client needs to check signatures).
 * A URL whose host is a loopback, private or link-local address (or `localhost`) is refused
 * unless `privateNetworks` (WEBHOOK_ALLOW_PRIVATE_NETWORKS) lists it; a name is judged by the
 * address it resolves to at each delivery (src/notifications/receivers.ts).
 */
export async function updateClientSettings(options: { clients: ClientStore; clientId: number; patch: unknown; privateNetworks?: readonly string[] | undefined }): Promise<{
  client: ClientDetails;
  generatedSecret: string | undefined;
}> {
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
  const current = await getClient(options);
  const willHaveUrl = (patch.alertUrl !== undefined ? patch.alertUrl : current.alertUrl) !== null || (patch.reportUrl !== undefined ? patch.reportUrl : current.reportUrl) !== null;
  let generatedSecret: string | undefined;
  if (willHaveUrl && patch.alertSecret === undefined && !current.hasAlertSecret) generatedSecret = generateWebhookSecret();
  if (patch.alertSecret === null && willHaveUrl) throw new AppError('USAGE', '--alert-secret cannot be cleared while a webhook URL is set; webhooks are always signed');
  const changes = { alertUrl: patch.alertUrl, alertSecret: generatedSecret ?? patch.alertSecret, reportUrl: patch.reportUrl, caseOwner: patch.caseOwner };
  if (!(await options.clients.updateSettings(options.clientId, changes))) throw notFound(options.clientId);
  return { client: await getClient(options), generatedSecret };
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
