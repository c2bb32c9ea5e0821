// Jest's globalSetup: finds the PostgreSQL server the PostgreSQL tests run on, once per run, and
// builds the migrated template database each of their fixtures is copied from.
//
// NPS_TEST_POSTGRES_URL names the server (any database on it; .ci/run exports it after starting
// Debian's postgresql). Without it, the default below is tried. When no server answers, the
// PostgreSQL tests are skipped and this prints one message saying what to install — unless the URL
// was given: then the run fails, since somebody meant the tests to run there.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

const DEFAULT_URL = 'postgres://nps:nps@127.0.0.1:5432/postgres';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const migrations = path.join(root, 'drizzle-postgres');

export default async function postgresSetup() {
  const given = process.env.NPS_TEST_POSTGRES_URL;
  const url = given || DEFAULT_URL;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    if (given) throw new Error(`NPS_TEST_POSTGRES_URL is set, but PostgreSQL at ${redact(url)} does not answer: ${error.message}`);
    process.env.NPS_TEST_POSTGRES = '';
    console.warn(
      `\nPostgreSQL tests SKIPPED: no PostgreSQL server at ${redact(url)} (${error.message}). ` +
        `Install Debian's "postgresql" package and start it, or set NPS_TEST_POSTGRES_URL; .ci/run does both.\n`,
    );
    return;
  }
  try {
    const template = `nps_test_tpl_${migrationsHash()}`;
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) await buildTemplate(admin, url, template);
    process.env.NPS_TEST_POSTGRES = url;
    process.env.NPS_TEST_POSTGRES_TEMPLATE = template;
  } finally {
    await admin.end();
  }
}

/** The template's name changes with the migrations, so runs of different code never share one. */
function migrationsHash() {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrations).filter((f) => f.endsWith('.sql')).sort()) hash.update(file).update(readFileSync(path.join(migrations, file)));
  return hash.digest('hex').slice(0, 12);
}

async function buildTemplate(admin, url, template) {
  // Built under a temporary name and renamed when complete: a run beside this one never copies a half-migrated template.
  const building = `${template}_${process.pid}`;
  await admin.query(`CREATE DATABASE "${building}"`);
  const target = new URL(url);
  target.pathname = `/${building}`;
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder: migrations });
  } finally {
    await client.end();
  }
  try {
    await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
  } catch (error) {
    // Another run built it meanwhile (duplicate_database): use theirs.
    if (error.code !== '42P04') throw error;
    await admin.query(`DROP DATABASE "${building}"`);
  }
}

function redact(url) {
  return url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');
}
