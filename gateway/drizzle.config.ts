import { defineConfig } from 'drizzle-kit';

// Paths are relative to gateway/: run drizzle-kit from there
// (`npx drizzle-kit generate --name <what_changed>`).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
