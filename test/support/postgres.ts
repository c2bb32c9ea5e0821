import { randomBytes } from 'node:crypto';
import { afterAll, describe } from '@jest/globals';
import pg from 'pg';
import { openPostgres, type PostgresDatabase } from '../../src/db/postgres/index.js';

/**
 * The PostgreSQL server of this run, found once by test/support/postgres-setup.js; empty when none
 * answered (that setup said so, naming the package to install).
 */
const server = process.env.NPS_TEST_POSTGRES ?? '';
const template = process.env.NPS_TEST_POSTGRES_TEMPLATE ?? '';

/** Whether this run has a PostgreSQL server. */
export const postgresAvailable = server !== '' && template !== '';

/** `describe` for tests that need PostgreSQL: skipped (and counted as skipped) when the run has none. */
export function describeOnPostgres(name: string, body: () => void): void {
  (postgresAvailable ? describe : describe.skip)(`${name} [PostgreSQL${postgresAvailable ? '' : ': not available, see the warning at the start of the run'}]`, body);
}

let admin: pg.Pool | undefined;
afterAll(async () => {
  await admin?.end();
  admin = undefined;
});

export interface FreshPostgres {
  database: PostgresDatabase;
  /** The connection URL of this database, for a second pool or another process (a node). */
  url: string;
  /** Closes the pool and drops the database. */
  close(): Promise<void>;
}

/** A new database of its own, copied from the migrated template: what each PostgreSQL test starts from. */
export async function freshPostgres(options: { poolSize?: number } = {}): Promise<FreshPostgres> {
  if (!postgresAvailable) throw new Error('no PostgreSQL server in this run (see the warning at its start)');
  admin ??= new pg.Pool({ connectionString: server, max: 2 });
  const name = `nps_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  const target = new URL(server);
  target.pathname = `/${name}`;
  const url = target.toString();
  const database = await openPostgres({ url, migrate: false, poolSize: options.poolSize ?? 4 });
  const pool = admin;
  return {
    database,
    url,
    close: async () => {
      await database.close();
      // A session the server itself started on the database (autovacuum) may hold the drop back a moment.
      for (let attempt = 1; ; attempt++) {
        try {
          await pool.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
          return;
        } catch (error) {
          if (attempt === 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    },
  };
}
