/** Throttling of outgoing email: messages per second, shared by every job of this process. */
import {setTimeout as sleep} from 'node:timers/promises';

/**
 * Hands out send slots `1 / rate` seconds apart (the first at once), in the order asked.
 * A rate of 0 (or less) means no throttle.
 */
export class RateLimiter {
  private next = 0;

  constructor(readonly rate: number, private readonly clock: () => number = () => performance.now()) {}

  /** Waits for the next slot; false when `signal` aborted the wait (the slot is then given up). */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    if(signal?.aborted) return false;
    if(!(this.rate > 0)) return true;
    const now = this.clock();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.rate;
    if(at <= now) return true;
    try {
      await sleep(at - now, undefined, {signal});
      return true;
    } catch {
      return false;
    }
  }
}
