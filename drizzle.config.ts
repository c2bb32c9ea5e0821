import { defineConfig } from 'drizzle-kit';

// Only used by `npm run db:generate`; the app applies the committed SQL in drizzle/ itself.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
});
