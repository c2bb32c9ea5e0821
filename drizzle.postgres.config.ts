import { defineConfig } from 'drizzle-kit';

// Only used by `npm run db:generate`; a PostgreSQL node applies the committed SQL in drizzle-postgres/ itself.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/postgres/schema/index.ts',
  out: './drizzle-postgres',
});
