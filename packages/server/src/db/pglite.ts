/** PGlite backend: embedded PostgreSQL (WASM) in this process, data in a directory. */
import {mkdirSync} from 'node:fs';
import {PGlite} from '@electric-sql/pglite';
import {type Database, Mutex, type Queryable, runAfterCommit} from './database.js';
import {lockDirectory} from './dir-lock.js';

/** Opens PGlite on `dataDir` (created if missing), or in memory when dataDir is undefined. */
export async function openPglite(dataDir?: string): Promise<Database> {
  if(dataDir) mkdirSync(dataDir, {recursive: true});
  const release = dataDir ? lockDirectory(dataDir) : () => undefined;
  let pg: PGlite;
  try {
    pg = await PGlite.create(dataDir);
  } catch(error) {
    release();
    throw error;
  }
  const mutex = new Mutex();
  const run = async <T>(q: {query: PGlite['query']}, sql: string, params?: unknown[]) => {
    const r = await q.query<T>(sql, params as any[]);
    return {rows: r.rows, rowCount: r.affectedRows ?? r.rows.length};
  };
  return {
    kind: 'pglite',
    exclusive: true,
    query: (sql, params) => mutex.run(() => run(pg, sql, params)),
    transaction: fn => mutex.run(async () => {
      const committed: (() => void)[] = [];
      const result = await pg.transaction(async tx => {
        const q: Queryable = {query: (sql, params) => run(tx as any, sql, params), afterCommit: f => { committed.push(f); }};
        return fn(q);
      });
      runAfterCommit(committed);
      return result;
    }),
    exec: sql => mutex.run(async () => {
      try {
        await pg.exec(sql);
      } catch(error) {
        // A failed script that opened a transaction (BEGIN; …) leaves it open and aborted on this one
        // connection: roll it back before the next holder of the mutex runs.
        await pg.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }),
    close: () => mutex.run(async () => {
      await pg.close();
      release();
    }),
  };
}
