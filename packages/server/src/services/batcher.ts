/**
 * Group commit for issuance. Requests that arrive while a transaction is
 * committing are signed and stored together in the next one: one commit (one
 * WAL flush) for many credentials, and on PGlite one lock hand-off instead of
 * many. A lone request starts at once, so there is no added latency when idle.
 * Each request still gets its answer only after its transaction committed.
 */

/** Runs a batch; must settle every job it is given. */
export type BatchRunner<J> = (jobs: J[]) => Promise<void>;

/**
 * Collects jobs and runs them in batches, at most `maxInFlight` at a time (1 on
 * PGlite, which has one connection; a few on PostgreSQL, so one batch can sign
 * while another waits for its commit to reach the disk).
 */
export class Batcher<J> {
  private queue: J[] = [];
  private running = 0;

  constructor(private readonly runBatch: BatchRunner<J>, private readonly maxBatch = 64, private readonly maxInFlight = 1) {}

  /** Queues a job; the runner settles it. */
  push(job: J): void {
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    if(this.running >= this.maxInFlight || this.queue.length === 0) return;
    this.running++;
    // Start on the next turn of the event loop, not now: PGlite answers in microtasks, so a
    // transaction never lets I/O in, and requests that arrived meanwhile are still waiting in
    // the poll phase. One turn lets them join this batch (costs microseconds when idle).
    setImmediate(() => {
      const jobs = this.queue.splice(0, this.maxBatch);
      this.runBatch(jobs).finally(() => {
        this.running--;
        this.pump();
      });
    });
  }
}
