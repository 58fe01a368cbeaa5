/**
 * (d) End-to-end HTTP bench: placeholder. run.ts imports this module when it
 * exists and calls runE2E(); each result is printed as a (d) row and compared
 * with (b), the Digital Bazaar reference stack (d/b).
 *
 * Contract for the real implementation: measure for a bounded time (see
 * bench/measure.ts: configFromEnv / measure), close every server, socket and
 * pool you open before resolving (run.ts exits the process when it is done,
 * but a clean shutdown keeps numbers honest), and resolve with one entry per
 * scenario, e.g. {label: 'POST /credentials (1 conn)', perSecond: 812.4}.
 */

import type {E2EResult} from './measure.js';

export type {E2EResult};

export async function runE2E(): Promise<E2EResult[]> {
  console.log('e2e: not implemented yet');
  return [];
}
