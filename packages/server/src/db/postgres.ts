/** node-postgres backend for DATABASE_URL. */
import pg from 'pg';
import {type Database, type Queryable, runAfterCommit} from './database.js';

// int8 (bigint) counts come back as strings by default: parse them when they fit.
pg.types.setTypeParser(20, v => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});

/** Opens a pool on a PostgreSQL URL. `schema` (tests) sets the search_path of every connection. */
export async function openPostgres(url: string, options: {schema?: string; max?: number} = {}): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    ...(options.schema ? {options: `-c search_path=${options.schema}`} : {}),
  });
  pool.on('error', () => { /* idle client errors surface on the next query */ });
  const wrap = (c: {query: pg.Pool['query']}): Queryable => ({
    query: async (sql, params) => {
      const r = await c.query(sql, params as any[]);
      return {rows: r.rows, rowCount: r.rowCount ?? r.rows.length};
    },
  });
  const db = wrap(pool);
  return {
    kind: 'postgres',
    exclusive: false,
    query: db.query,
    async transaction(fn) {
      const client = await pool.connect();
      const committed: (() => void)[] = [];
      let result;
      try {
        await client.query('BEGIN');
        result = await fn({...wrap(client as any), afterCommit: f => { committed.push(f); }});
        await client.query('COMMIT');
      } catch(error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      runAfterCommit(committed);
      return result;
    },
    exec: async sql => { await pool.query(sql); },
    close: () => pool.end(),
  };
}
