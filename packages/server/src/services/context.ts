/** What services share: the database, the clock, the public origin and the key box. */
import type {Canonicalizer} from '@laurel/core';
import type {SecretBox} from '../crypto/master-key.js';
import type {Database} from '../db/database.js';

/** The injected dependencies of Laurel's services. */
export interface ServiceContext {
  db: Database;
  box: SecretBox;
  /** Public origin, e.g. `http://localhost:3000` (no trailing slash). */
  publicUrl: string;
  now: () => Date;
  canonicalizer: Canonicalizer;
}
