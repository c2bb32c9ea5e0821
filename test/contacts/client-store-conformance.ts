import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/index.js';
import { addClient, authenticateClient, getClient, hashApiKey, listClients, updateClientSettings, type ClientStore } from '../../src/contacts/index.js';
import { freshFixture } from '../support/conformance.js';

/** One adapter under test, with the engine-specific way to look at what it stored. */
export interface ClientStoreFixture {
  store: ClientStore;
  /** The same clients as another node sees them: another connection (on SQLite, one process, the same database). */
  otherNode: ClientStore;
  /** Every value stored for the client, as text (its whole row or document). */
  storedValues(clientId: number): Promise<string[]>;
  /** The webhook secret stored for the client (never shown by the store's reads). */
  storedSecret(clientId: number): Promise<string | null>;
  close(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0);
const SECRET = 'a-webhook-secret-of-32-characters';

/**
 * The contract of the clients' store (src/contacts/client-store.ts) and of the use cases over it
 * (src/contacts/clients.ts), which every adapter passes: SQLite today, PostgreSQL with issue 17.
 */
export function clientStoreConformance(name: string, open: () => Promise<ClientStoreFixture>): void {
  describe(`client store conformance: ${name}`, () => {
    const start = freshFixture(open);
    const clock = new ManualClock(NOW);

    it('adds a client with a new key, storing only its sha256: the key is nowhere in what is stored', async () => {
      const { store, storedValues } = await start();
      const { client, apiKey } = await addClient({ clients: store, clock, name: ' Acme ' });
      expect(apiKey).toMatch(/^npsk_[\w-]{32}$/);
      expect(client).toEqual({ id: expect.any(Number), name: 'Acme', apiKeyPrefix: apiKey.slice(0, 12), createdAt: NOW });
      const stored = await storedValues(client.id);
      expect(stored).toContain(hashApiKey(apiKey));
      expect(hashApiKey(apiKey)).toMatch(/^[0-9a-f]{64}$/);
      for (const value of stored) {
        expect(value).not.toContain(apiKey);
        expect(value).not.toContain(apiKey.slice(12));
      }
      const other = await addClient({ clients: store, clock, name: 'Globex' });
      expect(other.apiKey).not.toBe(apiKey);
      expect(other.client.id).toBeGreaterThan(client.id);
    });

    it("authenticates a key as its own client, never as another, and refuses a wrong or malformed key", async () => {
      const { store } = await start();
      const acme = await addClient({ clients: store, clock, name: 'Acme' });
      const globex = await addClient({ clients: store, clock, name: 'Globex' });
      await expect(authenticateClient(store, acme.apiKey)).resolves.toEqual(acme.client);
      await expect(authenticateClient(store, globex.apiKey)).resolves.toEqual(globex.client);
      // The right prefix with a wrong secret part.
      const wrong = `${acme.apiKey.slice(0, -1)}${acme.apiKey.endsWith('A') ? 'B' : 'A'}`;
      await expect(authenticateClient(store, wrong)).resolves.toBeUndefined();
      for (const malformed of [acme.apiKey.slice(0, 20), `${acme.apiKey} `, acme.apiKey.replace('npsk_', 'nps_'), '', hashApiKey(acme.apiKey)]) {
        await expect(authenticateClient(store, malformed)).resolves.toBeUndefined();
      }
      // The port finds candidates by the public prefix only, with the hash to compare.
      await expect(store.withKeyPrefix(acme.apiKey.slice(0, 12))).resolves.toEqual([{ client: acme.client, apiKeyHash: hashApiKey(acme.apiKey) }]);
      await expect(store.withKeyPrefix('npsk_nothing')).resolves.toEqual([]);
    });

    it('refuses a taken name with CONFLICT and an empty one with USAGE, and lists the clients oldest first', async () => {
      const { store } = await start();
      await addClient({ clients: store, clock, name: 'Globex' });
      await addClient({ clients: store, clock, name: 'Acme' });
      await expect(addClient({ clients: store, clock, name: ' Acme' })).rejects.toThrow(
        expect.objectContaining({ code: 'CONFLICT', message: 'a client named "Acme" already exists; see `nps-dialer clients list`' }),
      );
      await expect(addClient({ clients: store, clock, name: '   ' })).rejects.toThrow(expect.objectContaining({ code: 'USAGE', message: 'the client name must not be empty' }));
      await expect(store.add({ name: 'Acme', apiKeyHash: hashApiKey('npsk_x'), apiKeyPrefix: 'npsk_x', createdAt: NOW })).resolves.toBeUndefined();
      expect((await listClients({ clients: store })).map((c) => c.name)).toEqual(['Globex', 'Acme']);
    });

    it('adds one client when two nodes add the same name at once, and refuses the other with CONFLICT', async () => {
      const { store, otherNode } = await start();
      // Both nodes connected before the race, so that neither starts late.
      await Promise.all([store.all(), otherNode.all()]);
      const outcomes = await Promise.allSettled([addClient({ clients: store, clock, name: 'Acme' }), addClient({ clients: otherNode, clock, name: 'Acme' })]);
      const added = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      expect(added).toHaveLength(1);
      expect(outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []))).toEqual([expect.objectContaining({ code: 'CONFLICT' })]);
      await expect(store.all()).resolves.toEqual([added[0]!.client]);
      await expect(authenticateClient(otherNode, added[0]!.apiKey)).resolves.toEqual(added[0]!.client);
    });

    it('reads a client with its follow-up settings, never its secret, and answers NOT_FOUND for an unknown one', async () => {
      const { store } = await start();
      const { client } = await addClient({ clients: store, clock, name: 'Acme' });
      await expect(getClient({ clients: store, clientId: client.id })).resolves.toEqual({ ...client, alertUrl: null, reportUrl: null, caseOwner: null, hasAlertSecret: false });
      await expect(getClient({ clients: store, clientId: 9999 })).rejects.toThrow(
        expect.objectContaining({ code: 'NOT_FOUND', message: 'client 9999 does not exist; see `nps-dialer clients list`' }),
      );
      await expect(store.get(9999)).resolves.toBeUndefined();
    });

    it('changes only the settings a patch names, generates the secret a URL needs, and clears a value given as null', async () => {
      const { store, storedSecret } = await start();
      const { client } = await addClient({ clients: store, clock, name: 'Acme' });
      const owner = await updateClientSettings({ clients: store, clientId: client.id, patch: { caseOwner: 'Quality team' } });
      expect(owner).toEqual({ client: expect.objectContaining({ caseOwner: 'Quality team', alertUrl: null, hasAlertSecret: false }), generatedSecret: undefined });
      const wired = await updateClientSettings({ clients: store, clientId: client.id, patch: { alertUrl: 'https://crm.example.com/nps' } });
      expect(wired.generatedSecret).toMatch(/^whsec_[\w-]{43}$/);
      expect(wired.client).toMatchObject({ alertUrl: 'https://crm.example.com/nps', reportUrl: null, caseOwner: 'Quality team', hasAlertSecret: true });
      expect(JSON.stringify(wired.client)).not.toContain(wired.generatedSecret);
      await expect(storedSecret(client.id)).resolves.toBe(wired.generatedSecret);
      // A second URL keeps the secret; a given secret replaces it; null clears a value.
      const report = await updateClientSettings({ clients: store, clientId: client.id, patch: { reportUrl: 'https://crm.example.com/reports', alertSecret: SECRET, caseOwner: null } });
      expect(report).toEqual({
        client: { ...client, alertUrl: 'https://crm.example.com/nps', reportUrl: 'https://crm.example.com/reports', caseOwner: null, hasAlertSecret: true },
        generatedSecret: undefined,
      });
      await expect(storedSecret(client.id)).resolves.toBe(SECRET);
      const cleared = await updateClientSettings({ clients: store, clientId: client.id, patch: { alertUrl: null, reportUrl: null, alertSecret: null } });
      expect(cleared.client).toMatchObject({ alertUrl: null, reportUrl: null, hasAlertSecret: false });
      await expect(store.updateSettings(9999, { caseOwner: 'x' })).resolves.toBe(false);
      await expect(store.updateSettings(client.id, {})).resolves.toBe(true);
      await expect(store.updateSettings(9999, {})).resolves.toBe(false);
    });

    it('refuses bad settings with USAGE naming the flag, and an unknown client with NOT_FOUND, changing nothing', async () => {
      const { store } = await start();
      const { client } = await addClient({ clients: store, clock, name: 'Acme' });
      await updateClientSettings({ clients: store, clientId: client.id, patch: { alertUrl: 'https://crm.example.com/nps', alertSecret: SECRET } });
      const refused = async (patch: unknown) => {
        const error = (await updateClientSettings({ clients: store, clientId: client.id, patch }).then(
          () => undefined,
          (e: unknown) => e,
        )) as { code?: string; message?: string } | undefined;
        return { code: error?.code, message: error?.message };
      };
      await expect(refused({ alertUrl: 'http://crm.example.com/nps' })).resolves.toEqual({
        code: 'USAGE',
        message: "--alert-url: 'http://crm.example.com/nps' is not an https URL (http is accepted for localhost only), e.g. https://crm.example.com/nps/alerts",
      });
      await expect(refused({ alertSecret: 'short' })).resolves.toEqual({ code: 'USAGE', message: '--alert-secret: the webhook secret must be at least 16 characters' });
      await expect(refused({ reportUrl: 'https://10.1.2.3/nps' })).resolves.toMatchObject({ code: 'USAGE', message: expect.stringContaining("--report-url: 'https://10.1.2.3/nps' is refused: 10.1.2.3 is a private address") });
      await expect(refused({ alertSecret: null })).resolves.toEqual({ code: 'USAGE', message: '--alert-secret cannot be cleared while a webhook URL is set; webhooks are always signed' });
      await expect(refused({ color: 'red' })).resolves.toMatchObject({ code: 'USAGE' });
      await expect(getClient({ clients: store, clientId: client.id })).resolves.toMatchObject({ alertUrl: 'https://crm.example.com/nps', reportUrl: null, hasAlertSecret: true });
      await expect(updateClientSettings({ clients: store, clientId: 9999, patch: { caseOwner: 'x' } })).rejects.toThrow(
        expect.objectContaining({ code: 'NOT_FOUND', message: 'client 9999 does not exist; see `nps-dialer clients list`' }),
      );
      // A private receiver is taken when its network is allowed.
      await expect(updateClientSettings({ clients: store, clientId: client.id, privateNetworks: ['10.0.0.0/8'], patch: { reportUrl: 'https://10.1.2.3/nps' } })).resolves.toMatchObject({
        client: { reportUrl: 'https://10.1.2.3/nps' },
      });
    });
  });
}
