/** Opens the configured database and brings its schema up to date. */
import {join} from 'node:path';
import type {Database} from './database.js';
import {migrate} from './migrate.js';
import {openPglite} from './pglite.js';
import {openPostgres} from './postgres.js';

/** DATABASE_URL → PostgreSQL; otherwise PGlite in `<dataDir>/pgdata` (or in memory when dataDir is null). */
export async function openDatabase(options: {databaseUrl?: string; dataDir: string | null; schema?: string; pgliteSharedBuffers?: string}):
  Promise<Database> {
  const db = options.databaseUrl
    ? await openPostgres(options.databaseUrl, {schema: options.schema})
    : await openPglite(options.dataDir ? join(options.dataDir, 'pgdata') : undefined, {sharedBuffers: options.pgliteSharedBuffers});
  try {
    await migrate(db);
  } catch(error) {
    await db.close();
    throw error;
  }
  return db;
}
