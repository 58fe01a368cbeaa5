/** Applies numbered SQL migrations (db/migrations/NNNN_name.sql) once each, in order. */
import {readdirSync, readFileSync} from 'node:fs';
import type {Database} from './database.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
// Arbitrary constant: serialises concurrent starters on PostgreSQL.
const LOCK_ID = 7_314_001;

/** Applies pending migrations; returns the names applied. Safe to run from several processes at once. */
export async function migrate(db: Database): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter(f => /^\d{4}_.+\.sql$/.test(f)).sort();
  return db.transaction(async tx => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{version: number}>('SELECT version FROM schema_migrations')).rows.map(r => r.version));
    const applied: string[] = [];
    for(const file of files) {
      const version = Number(file.slice(0, 4));
      if(done.has(version)) continue;
      // Each file may hold several statements; run them one by one on the transaction.
      for(const statement of splitStatements(readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'))) {
        await tx.query(statement);
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
      applied.push(file);
    }
    return applied;
  });
}

/** Splits a migration script on semicolons at line ends, dropping comments. Migrations avoid $$ bodies. */
function splitStatements(sql: string): string[] {
  return sql.split('\n').filter(l => !l.trim().startsWith('--')).join('\n')
    .split(/;\s*(?:\n|$)/).map(s => s.trim()).filter(Boolean);
}
