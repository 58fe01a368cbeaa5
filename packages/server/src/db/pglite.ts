/** PGlite backend: embedded PostgreSQL (WASM) in this process, data in a directory. */
import {mkdirSync} from 'node:fs';
import {PGlite} from '@electric-sql/pglite';
import {type Database, Mutex, type Queryable, runAfterCommit} from './database.js';
import {lockDirectory} from './dir-lock.js';

/**
 * PGlite's buffer cache for a data directory. PostgreSQL's default, 128 MB, lives in the
 * WASM heap and is all resident once used: with 32 MB a laptop server is ~110 MB smaller
 * (BENCHMARKS.md), and the tables' pages are still in the OS page cache behind it.
 */
export const DEFAULT_PGLITE_SHARED_BUFFERS = '32MB';

/** A PostgreSQL memory size as `shared_buffers` takes it (checked before it goes into SQL). */
export const SHARED_BUFFERS = /^[1-9]\d{0,5}(kB|MB|GB)$/;

/**
 * Opens PGlite on `dataDir` (created if missing), or in memory when dataDir is undefined.
 * A data directory gets `sharedBuffers` (ALTER SYSTEM, then a reopen when it changed:
 * PostgreSQL reads it at start).
 */
export async function openPglite(dataDir?: string, options: {sharedBuffers?: string} = {}): Promise<Database> {
  const wanted = options.sharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS;
  if(!SHARED_BUFFERS.test(wanted)) throw new Error(`shared_buffers must be a size like 32MB, got "${wanted}"`);
  if(dataDir) mkdirSync(dataDir, {recursive: true});
  const release = dataDir ? lockDirectory(dataDir) : () => undefined;
  let pg: PGlite;
  try {
    pg = await PGlite.create(dataDir);
    const same = async () => (await pg.query<{same: boolean}>(
      "SELECT pg_size_bytes(current_setting('shared_buffers')) = pg_size_bytes($1) AS same", [wanted])).rows[0]?.same === true;
    if(dataDir && !await same()) {
      await pg.exec(`ALTER SYSTEM SET shared_buffers = '${wanted}'`);
      await pg.close();
      pg = await PGlite.create(dataDir);
    }
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
