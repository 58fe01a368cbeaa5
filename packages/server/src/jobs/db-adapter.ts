/**
 * pg-boss's database port (`executeSql`) over Laurel's own Database, so the queue
 * lives in the same database as the data and uses the same connection(s): on
 * PGlite the one WASM instance behind Laurel's mutex (no second connection and
 * no second process ever touches the data directory), on PostgreSQL Laurel's pool.
 */
import type PgBoss from 'pg-boss';
import type {Database, Queryable} from '../db/database.js';

/** pg-boss sends its multi-statement scripts (install, migrations, maintenance) as `BEGIN; …; COMMIT;`. */
const SCRIPT = /^\s*BEGIN\s*;/i;

/** What pg-boss expects back from executeSql. */
interface SqlResult {
  rows: any[];
  rowCount: number;
}

/**
 * The database as pg-boss sees it. Scripts go through `exec` (PGlite's `query`
 * runs one statement only; `exec` rolls back a script that fails half way);
 * single statements, with or without parameters, go through `query`.
 */
export function bossDatabase(db: Database): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]): Promise<SqlResult> {
      if((!values || values.length === 0) && SCRIPT.test(text)) {
        await db.exec(text);
        return {rows: [], rowCount: 0};
      }
      return db.query(text, values);
    },
  };
}

/**
 * An open Laurel transaction as pg-boss sees it: `send(…, {db})` then inserts the
 * job in that transaction, so the job exists if and only if the transaction commits.
 */
export function bossTransaction(tx: Queryable): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]): Promise<SqlResult> {
      // Only single statements (insert, fetch, complete, fail) ever run on a caller's transaction.
      if(SCRIPT.test(text)) throw new Error('pg-boss scripts cannot run inside a caller\'s transaction');
      return tx.query(text, values);
    },
  };
}
