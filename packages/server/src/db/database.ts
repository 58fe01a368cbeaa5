/**
 * The one query interface Laurel's repositories use, with two backends: PGlite
 * (embedded, default) and node-postgres (DATABASE_URL). Plain parameterised SQL:
 * both speak the same PostgreSQL dialect, so the repositories run unchanged.
 */

/** Something that runs parameterised SQL: the database or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{rows: T[]; rowCount: number}>;
  /**
   * Inside a transaction only: runs `fn` once the transaction has committed (never
   * after a rollback). In-memory copies of rows are updated here, so a rollback
   * cannot leave them ahead of the database.
   */
  afterCommit?(fn: () => void): void;
}

/** A database handle. */
export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * True when this process is the only one that can write (PGlite: one process
   * per data directory, transactions serialised). Services may then keep exact
   * in-memory copies of rows they change themselves.
   */
  readonly exclusive: boolean;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs a committed transaction's afterCommit callbacks. They only update memory; one
 * that throws must not turn a commit into a reported failure, so its error is dropped.
 */
export function runAfterCommit(callbacks: (() => void)[]): void {
  for(const f of callbacks) {
    try {
      f();
    } catch { /* see above */ }
  }
}

/** A FIFO mutex: PGlite is one connection, so a transaction must own it exclusively. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  /** Runs `fn` once every earlier holder has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
}
