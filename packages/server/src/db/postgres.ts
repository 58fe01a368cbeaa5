/** node-postgres backend for DATABASE_URL. */
import pg from 'pg';
import type {Database, Queryable} from './database.js';

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
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client as any));
        await client.query('COMMIT');
        return result;
      } catch(error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    exec: async sql => { await pool.query(sql); },
    close: () => pool.end(),
  };
}
