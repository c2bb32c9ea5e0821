import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock/index.js';
import type { AppDatabase } from '../db/index.js';
import { AppError } from '../errors/index.js';

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
