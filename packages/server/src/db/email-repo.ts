/** SQL for email deliveries, per-organization templates and unsubscribed addresses (migration 0005). */
import type {Queryable} from './database.js';

/** The states of one message to one recipient. */
export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'bounced' | 'failed' | 'unknown';

/** The messages Laurel sends. */
export type EmailKind = 'credential_issued' | 'expiry_reminder';

export interface EmailDeliveryRow {
  id: string;
  organization_id: string;
  credential_id: string;
  kind: EmailKind;
  manual: boolean;
  batch_id: string | null;
  recipient: string;
  locale: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  message_id: string | null;
  queued_at: Date;
  sending_at: Date | null;
  finished_at: Date | null;
}

/** A queued delivery with what rendering it needs from its credential. */
export interface SendableDeliveryRow extends EmailDeliveryRow {
  recipient_name: string;
  valid_until: Date | null;
  credential_status: 'active' | 'revoked' | 'suspended';
  document: string;
}

export interface EmailTemplateRow {
  organization_id: string;
  kind: EmailKind;
  locale: string;
  subject: string;
  html: string;
  text: string;
  updated_at: Date;
}

/** A delivery to insert. */
export interface NewDelivery {
  id: string;
  organizationId: string;
  credentialId: string;
  kind: EmailKind;
  manual: boolean;
  batchId: string | null;
  recipient: string;
  locale: string;
}

/**
 * Inserts deliveries in one statement (arrays, so no parameter limit). An automatic delivery
 * whose credential already has one of its kind is skipped (the partial unique index).
 * Returns the rows inserted.
 */
export async function insertDeliveries(q: Queryable, items: NewDelivery[], at: Date): Promise<{id: string; organization_id: string; manual: boolean}[]> {
  if(items.length === 0) return [];
  const {rows} = await q.query<{id: string; organization_id: string; manual: boolean}>(
    `INSERT INTO email_deliveries (id, organization_id, credential_id, kind, manual, batch_id, recipient, locale, queued_at)
     SELECT id, organization_id, credential_id, kind, manual, batch_id, recipient, locale, $9
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::text[])
         AS i(id, organization_id, credential_id, kind, manual, batch_id, recipient, locale)
     ON CONFLICT (credential_id, kind) WHERE NOT manual DO NOTHING
     RETURNING id, organization_id::text AS organization_id, manual`,
    [items.map(i => i.id), items.map(i => i.organizationId), items.map(i => i.credentialId), items.map(i => i.kind),
      items.map(i => i.manual), items.map(i => i.batchId), items.map(i => i.recipient), items.map(i => i.locale), at]);
  return rows;
}

/** One delivery of an organization. */
export async function findDelivery(q: Queryable, id: string, organizationId: string): Promise<EmailDeliveryRow | null> {
  const {rows} = await q.query<EmailDeliveryRow>('SELECT * FROM email_deliveries WHERE id = $1 AND organization_id = $2', [id, organizationId]);
  return rows[0] ?? null;
}

/** A credential's deliveries, oldest first. */
export async function listDeliveries(q: Queryable, organizationId: string, credentialId: string): Promise<EmailDeliveryRow[]> {
  const {rows} = await q.query<EmailDeliveryRow>(
    'SELECT * FROM email_deliveries WHERE credential_id = $1 AND organization_id = $2 ORDER BY queued_at, id', [credentialId, organizationId]);
  return rows;
}

/** The locale of a credential's first delivery (what its recipient was first written in), per credential. */
export async function firstLocales(q: Queryable, credentialIds: string[]): Promise<Map<string, string>> {
  if(credentialIds.length === 0) return new Map();
  const {rows} = await q.query<{credential_id: string; locale: string}>(
    `SELECT DISTINCT ON (credential_id) credential_id, locale FROM email_deliveries
      WHERE credential_id = ANY($1::text[]) ORDER BY credential_id, queued_at, id`, [credentialIds]);
  return new Map(rows.map(r => [r.credential_id, r.locale]));
}

/**
 * Deliveries of a job still `sending`: their SMTP conversation was cut off (a crash, a timeout),
 * so whether the message went out is unknown. They become `unknown` and are never resent automatically.
 */
export async function markInterrupted(q: Queryable, ids: string[], at: Date): Promise<string[]> {
  const {rows} = await q.query<{id: string}>(
    `UPDATE email_deliveries SET status = 'unknown', finished_at = $2,
            last_error = 'INTERRUPTED: the sending process stopped during the SMTP conversation; not resent automatically'
      WHERE id = ANY($1::text[]) AND status = 'sending' RETURNING id`, [ids, at]);
  return rows.map(r => r.id);
}

/** The job's deliveries still queued, with their credentials, in the job's order. */
export async function queuedDeliveries(q: Queryable, ids: string[]): Promise<SendableDeliveryRow[]> {
  const {rows} = await q.query<SendableDeliveryRow>(
    `SELECT d.*, c.recipient_name, c.valid_until, c.status AS credential_status, c.document
       FROM unnest($1::text[]) WITH ORDINALITY AS j(id, n)
       JOIN email_deliveries d ON d.id = j.id
       JOIN credentials c ON c.id = d.credential_id
      WHERE d.status = 'queued' ORDER BY j.n`, [ids]);
  return rows;
}

/**
 * Claims a queued delivery for sending, committed before any SMTP traffic: `sending`, one more
 * attempt. Nothing is claimed when it is no longer queued or its address is unsubscribed.
 */
export async function claimDelivery(q: Queryable, id: string, addressHash: Buffer, at: Date): Promise<{attempts: number} | null> {
  const {rows} = await q.query<{attempts: number}>(
    `UPDATE email_deliveries d SET status = 'sending', sending_at = $2, attempts = attempts + 1
      WHERE id = $1 AND status = 'queued'
        AND NOT EXISTS (SELECT 1 FROM email_suppressions s WHERE s.organization_id = d.organization_id AND s.address_hash = $3)
      RETURNING attempts`, [id, at, addressHash]);
  return rows[0] ?? null;
}

/** Finishes a queued delivery without sending it (unsubscribed address, revoked credential). */
export async function skipDelivery(q: Queryable, id: string, error: string, at: Date): Promise<boolean> {
  const {rowCount} = await q.query(
    `UPDATE email_deliveries SET status = 'failed', last_error = $2, finished_at = $3 WHERE id = $1 AND status = 'queued'`, [id, error, at]);
  return rowCount > 0;
}

/**
 * Records the outcome of an SMTP attempt. `sent` also applies to a delivery already marked
 * `unknown` (a run given up on that still finished: the message did go out).
 */
export async function finishDelivery(q: Queryable, id: string, outcome:
  {status: 'sent'; messageId: string} | {status: 'bounced' | 'failed' | 'queued'; error: string}, at: Date): Promise<void> {
  if(outcome.status === 'sent') {
    await q.query(`UPDATE email_deliveries SET status = 'sent', message_id = $2, last_error = NULL, finished_at = $3
                    WHERE id = $1 AND status IN ('sending', 'unknown')`, [id, outcome.messageId, at]);
  } else {
    await q.query(`UPDATE email_deliveries SET status = $2, last_error = $3, finished_at = CASE WHEN $2 = 'queued' THEN NULL ELSE $4::timestamptz END
                    WHERE id = $1 AND status = 'sending'`, [id, outcome.status, outcome.error, at]);
  }
}

/** Gives up on a job's deliveries that are still queued (its last retry failed). */
export async function failQueued(q: Queryable, ids: string[], error: string, at: Date): Promise<number> {
  const {rowCount} = await q.query(
    `UPDATE email_deliveries SET status = 'failed', last_error = $2, finished_at = $3 WHERE id = ANY($1::text[]) AND status = 'queued'`,
    [ids, error, at]);
  return rowCount;
}

/** An organization's template overrides. */
export async function listTemplates(q: Queryable, organizationId: string): Promise<EmailTemplateRow[]> {
  const {rows} = await q.query<EmailTemplateRow>('SELECT * FROM email_templates WHERE organization_id = $1', [organizationId]);
  return rows;
}

/** One override, locked for a change. */
export async function findTemplateForUpdate(q: Queryable, organizationId: string, kind: EmailKind, locale: string): Promise<EmailTemplateRow | null> {
  const {rows} = await q.query<EmailTemplateRow>(
    'SELECT * FROM email_templates WHERE organization_id = $1 AND kind = $2 AND locale = $3 FOR UPDATE', [organizationId, kind, locale]);
  return rows[0] ?? null;
}

/** Creates or replaces an override. */
export async function upsertTemplate(q: Queryable, t: EmailTemplateRow): Promise<EmailTemplateRow> {
  const {rows} = await q.query<EmailTemplateRow>(
    `INSERT INTO email_templates (organization_id, kind, locale, subject, html, text, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (organization_id, kind, locale) DO UPDATE SET subject = $4, html = $5, text = $6, updated_at = $7 RETURNING *`,
    [t.organization_id, t.kind, t.locale, t.subject, t.html, t.text, t.updated_at]);
  return rows[0];
}

/** Removes an override (back to the built-in template). */
export async function deleteTemplate(q: Queryable, organizationId: string, kind: EmailKind, locale: string): Promise<boolean> {
  const {rowCount} = await q.query('DELETE FROM email_templates WHERE organization_id = $1 AND kind = $2 AND locale = $3', [organizationId, kind, locale]);
  return rowCount > 0;
}

/** Adds an unsubscribed address; false when it was already there. */
export async function insertSuppression(q: Queryable, organizationId: string, addressHash: Buffer, at: Date): Promise<boolean> {
  const {rowCount} = await q.query(
    'INSERT INTO email_suppressions (organization_id, address_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [organizationId, addressHash, at]);
  return rowCount > 0;
}

