/** Who made a change. Every state change records one in the audit log (services/audit.ts). */
export type Actor =
  /** An API key of the organization: its id and a label a person recognises (its prefix and name). */
  | {type: 'api_key'; id: string; label: string}
  /** The instance administrator (LAUREL_ADMIN_TOKEN). */
  | {type: 'admin'}
  /** Laurel itself: a background job, the demo seed, a scheduled task. */
  | {type: 'system'; job?: string}
  /**
   * The credential's recipient, signed in to their portfolio. Nothing more is recorded: the
   * subject (the credential) says who that is, and an append-only log keeps no address.
   */
  | {type: 'recipient'};

/** The actor for work Laurel does on its own. */
export const SYSTEM: Actor = {type: 'system'};
