import { describe, expect, it } from '@jest/globals';
import { addClient, authenticateClient, hashApiKey, listClients, SqliteClientStore } from '../../src/contacts/index.js';
import { testEnv } from '../support/factories.js';

describe('clients', () => {
  it('stores only the sha256 of the API key; the key itself appears nowhere in the database', async () => {
    const env = testEnv();
    const { client, apiKey } = await addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: ' Acme ' });
    expect(apiKey).toMatch(/^npsk_[\w-]{32}$/);
    expect(client).toEqual({ id: 1, name: 'Acme', apiKeyPrefix: apiKey.slice(0, 12), createdAt: env.clock.now() });

    const row = env.database.sqlite.prepare('SELECT * FROM clients WHERE id = ?').get(client.id) as Record<string, unknown>;
    expect(row.api_key_hash).toBe(hashApiKey(apiKey));
    expect(hashApiKey(apiKey)).toMatch(/^[0-9a-f]{64}$/);
    const dump = Buffer.from(env.database.sqlite.serialize()).toString('latin1');
    expect(dump).toContain(hashApiKey(apiKey));
    expect(dump).not.toContain(apiKey);
    expect(dump).not.toContain(apiKey.slice(12));
  });

  it('authenticates a client by its own key', async () => {
    const env = testEnv();
    const { client, apiKey } = await addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: 'Acme' });
    expect(await authenticateClient(new SqliteClientStore(env.database), apiKey)).toEqual(client);
  });

  it('refuses a wrong key with the right prefix, a malformed key and an empty key', async () => {
    const env = testEnv();
    const { apiKey } = await addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: 'Acme' });
    const wrong = `${apiKey.slice(0, -1)}${apiKey.endsWith('A') ? 'B' : 'A'}`;
    expect(await authenticateClient(new SqliteClientStore(env.database), wrong)).toBeUndefined();
    expect(await authenticateClient(new SqliteClientStore(env.database), apiKey.slice(0, 20))).toBeUndefined();
    expect(await authenticateClient(new SqliteClientStore(env.database), `${apiKey} `)).toBeUndefined();
    expect(await authenticateClient(new SqliteClientStore(env.database), apiKey.replace('npsk_', 'nps_'))).toBeUndefined();
    expect(await authenticateClient(new SqliteClientStore(env.database), '')).toBeUndefined();
  });

  it("identifies another client's key as that client, never as this one", async () => {
    const env = testEnv();
    const acme = await addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: 'Acme' });
    const globex = await addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: 'Globex' });
    expect((await authenticateClient(new SqliteClientStore(env.database), globex.apiKey))?.id).toBe(globex.client.id);
    expect((await authenticateClient(new SqliteClientStore(env.database), acme.apiKey))?.id).toBe(acme.client.id);
    expect(acme.apiKey).not.toBe(globex.apiKey);
  });

  it('refuses a second client of the same name with CONFLICT, and an empty name with USAGE', async () => {
    const env = testEnv();
    await addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: 'Acme' });
    await expect(addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: 'Acme' })).rejects.toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    await expect(addClient({ clients: new SqliteClientStore(env.database), clock: env.clock, name: '   ' })).rejects.toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect((await listClients({ clients: new SqliteClientStore(env.database) })).map((c) => c.name)).toEqual(['Acme']);
  });
});
