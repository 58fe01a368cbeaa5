/**
 * The recipient portfolio (issue 8): a recipient signs in with a link sent to their
 * email, sees every credential issued to that address on this instance (across
 * organizations), hides or shows each one, keeps a public profile page, and downloads
 * everything as a ZIP.
 *
 * - Secrets (link tokens, session tokens) have 256 random bits and are stored as SHA-256
 *   only; a requester is stored as an HMAC of its address (never the raw IP).
 * - A sign-in request is answered the same way whatever the address: the link is only
 *   mailed when the address has credentials, and mailed after the answer, so neither the
 *   page nor its timing tells whether it has any.
 * - Rate limits live in the database (counted from `magic_links` under an advisory lock per
 *   requester and per address), so they hold across processes.
 */
import {createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual} from 'node:crypto';
import {isIP} from 'node:net';
import {Readable} from 'node:stream';
import {setImmediate as yieldToEventLoop} from 'node:timers/promises';
import {ZipFile} from 'yazl';
import {randomId} from '../crypto/tokens.js';
import {consumeMagicLink, countMagicLinks, deleteExpiredSessions, deleteOldMagicLinks, ensureProfile, findProfileByHandle, findSession,
  findUsableMagicLink, hasCredentials, insertMagicLink, insertSession, listPublicCredentials, listRecipientCredentials,
  pageRecipientDocuments, type PortfolioCredentialRow, type RecipientProfileRow, type RecipientSessionRow, retireMagicLinks, revokeSession,
  setCredentialHidden, updateProfile} from '../db/portfolio-repo.js';
import {DomainError, type FieldProblem, notFound} from '../errors.js';
import type {AuditService} from './audit.js';
import type {ServiceContext} from './context.js';
import {type EmailLocale, magicLinkEmail} from './mail/templates.js';
import type {MailAddress, MailTransport} from './mail/transport.js';

/** How long a sign-in link works. */
export const MAGIC_LINK_TTL_MS = 15 * 60_000;
/** How long a session lasts (the cookie's Max-Age). */
export const SESSION_TTL_MS = 30 * 24 * 3600_000;
/** The rate-limit window. */
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
/** Links per address per window: a 4th request sends nothing. */
export const LINKS_PER_EMAIL = 3;
/** Requests per requester (IP) per window: beyond, nothing is sent and the answer is 429. */
export const LINKS_PER_REQUESTER = 10;
/** Credentials the portfolio page lists at most (the export has no limit). */
export const PORTFOLIO_PAGE_LIMIT = 1000;

// Advisory-lock namespaces (pg_advisory_xact_lock(int, int)): serialise the count-then-insert of one requester / address.
const LOCK_REQUESTER = 7_314_801;
const LOCK_EMAIL = 7_314_802;

/** Handles nobody may take: they read as Laurel's own pages or as an authority. */
export const RESERVED_HANDLES = new Set(['about', 'account', 'admin', 'administrator', 'api', 'app', 'assets', 'auth', 'c', 'contact',
  'credential', 'credentials', 'did', 'docs', 'email', 'help', 'home', 'issuer', 'issuers', 'laurel', 'login', 'logout', 'me', 'new',
  'null', 'official', 'p', 'portfolio', 'privacy', 'profile', 'root', 'security', 'settings', 'sign-in', 'sign-out', 'signin', 'signout',
  'static', 'status', 'support', 'system', 'terms', 'undefined', 'verify', 'well-known', 'www']);

const HANDLE = /^[a-z0-9](?:[a-z0-9-]{1,28})[a-z0-9]$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** An address as the portfolio compares it: trimmed and lower-cased (the SQL side: `lower(btrim(…))`). */
export function normaliseEmail(address: string): string {
  return address.trim().toLowerCase();
}

/** Whether `address` (normalised) can be an email address: one `@`, no spaces or controls, at most 320 characters. */
export function isEmailAddress(address: string): boolean {
  return address.length <= 320 && /^[^\s@<>()[\]\\,;:"\u0000-\u001f]+@[^\s@<>()[\]\\,;:"\u0000-\u001f]+\.[^\s@<>()[\]\\,;:"\u0000-\u001f]+$/.test(address);
}

/** The HMAC key of requester hashes, derived from the master key under its own label. */
export function requesterKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'laurel/portfolio-requester/v1', 32));
}

/**
 * The part of an address that identifies a requester: an IPv4 address whole, an IPv6
 * address by its /64 (one subscriber gets a whole /64 and can rotate within it).
 */
export function requesterPrefix(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if(mapped) return mapped[1];
  if(isIP(ip) !== 6) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map(g => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Constant-time comparison of two strings. */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What became of a sign-in request. The page is the same for all; only `requester_limited` changes the status (429). */
export type SignInOutcome = 'sent' | 'unknown_address' | 'email_limited' | 'requester_limited';

/** A credential in the portfolio. */
export interface PortfolioItem {
  id: string;
  issuerName: string;
  achievementName: string;
  issuedAt: Date;
  validUntil: Date | null;
  /** `expired` when active but past validUntil. */
  status: 'active' | 'revoked' | 'suspended' | 'expired';
  visibility: 'public' | 'private';
}

/** A recipient's profile settings. */
export interface ProfileView {
  handle: string | null;
  displayName: string | null;
  profilePublic: boolean;
}

/** A signed-in recipient. */
export interface RecipientSession {
  email: string;
  csrfToken: string;
  tokenHash: Buffer;
}

/** What a public profile shows. */
export interface PublicProfile {
  handle: string;
  displayName: string | null;
  items: PortfolioItem[];
}

/** Where sign-in emails go (the same transport and sender as the rest of Laurel's mail). */
export interface PortfolioMail {
  transport: MailTransport;
  from: MailAddress;
}

/** Where background failures are reported (the request's logger). */
export interface PortfolioLog {
  error(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** The PDF of a credential, when rendering is available; null when it has none. */
export type PdfProvider = (credentialId: string) => Promise<Buffer | null>;

/** What `rendersPdf` needs of the render service (services/renders.ts). */
export interface OwnerRenders {
  forOwner(id: string, kind: 'certificate.pdf'): Promise<{bytes: Buffer}>;
}

/**
 * The export's PDFs: the certificate of each credential, private ones included (the export is
 * its owner's). The portfolio only asks for credentials of the signed-in recipient.
 */
export function rendersPdf(renders: OwnerRenders): PdfProvider {
  return async id => {
    try {
      return (await renders.forOwner(id, 'certificate.pdf')).bytes;
    } catch(error) {
      if(error instanceof DomainError && error.status === 404) return null;
      throw error;
    }
  };
}

function itemOf(row: PortfolioCredentialRow, now: Date): PortfolioItem {
  const expired = row.status === 'active' && row.valid_until !== null && row.valid_until.getTime() <= now.getTime();
  return {
    id: row.id, issuerName: row.issuer_name, achievementName: row.achievement_name, issuedAt: row.issued_at, validUntil: row.valid_until,
    status: expired ? 'expired' : row.status, visibility: row.hidden_at ? 'private' : 'public',
  };
}

const profileView = (p: RecipientProfileRow): ProfileView => ({handle: p.handle, displayName: p.display_name, profilePublic: p.profile_public});

/** One path segment of a ZIP entry: letters, digits, space, `.`, `_`, `-`; never `.`/`..`, never empty; at most 80 characters. */
export function safeSegment(text: string, fallback: string): string {
  const cleaned = text.normalize('NFC').replace(CONTROL, ' ').replace(/[^\p{L}\p{N} ._-]+/gu, '-').replace(/\s+/g, ' ')
    .replace(/-{2,}/g, '-').replace(/^[\s.-]+|[\s.-]+$/g, '').slice(0, 80).replace(/[\s.-]+$/, '');
  return cleaned || fallback;
}

/**
 * A credential's path in the export, without extension: `<issuer>/<achievement>-<id>`. The
 * names are made safe; the id stays verbatim (base64url is safe in a name, a leading or
 * doubled `-` included), so every file can be found by its credential's id.
 */
export function exportName(row: {issuer_name: string; achievement_name: string; id: string}): string {
  const id = /^[A-Za-z0-9_-]{1,64}$/.test(row.id) ? row.id : safeSegment(row.id, 'id');
  return `${safeSegment(row.issuer_name, 'issuer')}/${safeSegment(row.achievement_name, 'credential').slice(0, 60)}-${id}`;
}

/** Portfolio use cases. */
export class PortfolioService {
  /** The PDF of a credential for the export; unset (no renderer): the export holds the JSON only. */
  pdf: PdfProvider | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly ctx: ServiceContext, private readonly mail: PortfolioMail | null, private readonly requesterSecret: Buffer,
    private readonly audit: AuditService | null = null) {}

  private get host(): string {
    return new URL(this.ctx.publicUrl).host;
  }

  /** Whether the session cookie must be `Secure` (the public origin is https). */
  get secureCookies(): boolean {
    return this.ctx.publicUrl.startsWith('https:');
  }

  /** The keyed hash that stands for a requester's address. */
  requesterHash(ip: string): Buffer {
    return createHmac('sha256', this.requesterSecret).update(requesterPrefix(ip)).digest();
  }

  // ------------------------------------------------------------ sign-in

  /**
   * A sign-in request for `input` (an address as typed) from `ip`. Records a link (when
   * under both limits) and mails it after returning, only to an address with credentials.
   * Throws VALIDATION_FAILED for something that is not an address.
   */
  async requestLink(input: string, ip: string, locale: EmailLocale, log: PortfolioLog): Promise<SignInOutcome> {
    const email = normaliseEmail(input);
    if(!isEmailAddress(email)) {
      throw new DomainError('VALIDATION_FAILED', 400, 'Enter an email address.', {errors: [{path: 'email', message: 'must be an email address'}]});
    }
    const now = this.ctx.now();
    const since = new Date(now.getTime() - SIGN_IN_WINDOW_MS);
    const requesterHash = this.requesterHash(ip);
    const decided = await this.ctx.db.transaction(async tx => {
      // Count-then-insert under locks: concurrent requests (any process) cannot both slip under a limit.
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_REQUESTER, requesterHash.toString('hex')]);
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_EMAIL, email]);
      if(await countMagicLinks(tx, {requesterHash}, since) >= LINKS_PER_REQUESTER) return {outcome: 'requester_limited' as const};
      if(await countMagicLinks(tx, {email}, since) >= LINKS_PER_EMAIL) return {outcome: 'email_limited' as const};
      const token = randomBytes(32).toString('base64url');
      await insertMagicLink(tx, {tokenHash: sha256(token), email, requesterHash, expiresAt: new Date(now.getTime() + MAGIC_LINK_TTL_MS), createdAt: now});
      // Every request counts towards the limits alike; only an address with credentials gets mail (no mail to strangers).
      return (await hasCredentials(tx, email)) ? {outcome: 'sent' as const, token} : {outcome: 'unknown_address' as const};
    });
    if(decided.outcome === 'sent') this.track(this.sendLink(email, decided.token, locale).catch(error => log.error({err: error}, 'portfolio: the sign-in email could not be sent')));
    if(!this.mail && decided.outcome === 'sent') log.warn({}, 'portfolio: mail is off, so sign-in links cannot be sent');
    // Housekeeping: links older than a day are past their use and their window; sessions past their expiry.
    await deleteOldMagicLinks(this.ctx.db, new Date(now.getTime() - 24 * 3600_000)).catch(() => undefined);
    await deleteExpiredSessions(this.ctx.db, now).catch(() => undefined);
    return decided.outcome;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Waits for sign-in emails still being sent (before the transport closes). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async sendLink(email: string, token: string, locale: EmailLocale): Promise<void> {
    if(!this.mail) return;
    const url = `${this.ctx.publicUrl}/portfolio/auth?token=${encodeURIComponent(token)}`;
    const message = magicLinkEmail(locale, {url, host: new URL(this.ctx.publicUrl).hostname, minutes: MAGIC_LINK_TTL_MS / 60_000});
    await this.mail.transport.send({
      deliveryId: `sign-in-${randomId()}`, from: this.mail.from, to: {name: '', address: email},
      subject: message.subject, html: message.html, text: message.text,
      // RFC 3834: an automatic message, so no auto-replies; no List-Unsubscribe: the recipient asked for it.
      headers: {'Auto-Submitted': 'auto-generated'}, attachments: [],
    });
  }

  /** The address a link signs in as, without using the link (GET must not consume: mail scanners follow links). */
  async peekLink(token: string): Promise<string | null> {
    if(!TOKEN.test(token)) return null;
    return (await findUsableMagicLink(this.ctx.db, sha256(token), this.ctx.now()))?.email ?? null;
  }

  /**
   * Uses a link (once: the UPDATE … WHERE used_at IS NULL decides between concurrent uses) and
   * opens a session. Throws MAGIC_LINK_INVALID for an unknown, used or expired link, without saying which.
   */
  async redeemLink(token: string): Promise<{sessionToken: string; email: string; expiresAt: Date}> {
    const invalid = () => new DomainError('MAGIC_LINK_INVALID', 400, 'This sign-in link is not valid: it may have expired or been used already. Ask for a new one.');
    if(!TOKEN.test(token)) throw invalid();
    const now = this.ctx.now();
    const opened = await this.ctx.db.transaction(async tx => {
      const link = await consumeMagicLink(tx, sha256(token), now);
      if(!link) return null;
      await retireMagicLinks(tx, link.email, now);
      await ensureProfile(tx, link.email, now);
      const sessionToken = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
      await insertSession(tx, {tokenHash: sha256(sessionToken), email: link.email, csrfSecret: randomBytes(32).toString('base64url'), expiresAt, createdAt: now});
      return {sessionToken, email: link.email, expiresAt};
    });
    if(!opened) throw invalid();
    return opened;
  }

  /** The live session of a cookie value, or null. */
  async session(cookie: string | undefined): Promise<RecipientSession | null> {
    if(!cookie || !TOKEN.test(cookie)) return null;
    const tokenHash = sha256(cookie);
    const row: RecipientSessionRow | null = await findSession(this.ctx.db, tokenHash, this.ctx.now());
    return row ? {email: row.email, csrfToken: row.csrf_secret, tokenHash} : null;
  }

  /** Whether `token` is the session's CSRF token. */
  checkCsrf(session: RecipientSession, token: unknown): boolean {
    return typeof token === 'string' && sameSecret(token, session.csrfToken);
  }

  /** Ends a session (the cookie no longer signs in anywhere). */
  async signOut(session: RecipientSession): Promise<void> {
    await revokeSession(this.ctx.db, session.tokenHash, this.ctx.now());
  }

  // ------------------------------------------------------------ the portfolio

  /** The recipient's credentials (every organization), newest first, and their profile. */
  async overview(session: RecipientSession): Promise<{items: PortfolioItem[]; profile: ProfileView; truncated: boolean}> {
    const now = this.ctx.now();
    const rows = await listRecipientCredentials(this.ctx.db, session.email, PORTFOLIO_PAGE_LIMIT + 1);
    const profile = await ensureProfile(this.ctx.db, session.email, now);
    return {items: rows.slice(0, PORTFOLIO_PAGE_LIMIT).map(r => itemOf(r, now)), profile: profileView(profile), truncated: rows.length > PORTFOLIO_PAGE_LIMIT};
  }

  /** Hides (`private`) or shows (`public`) one of the recipient's credentials; 404 for any other. */
  async setVisibility(session: RecipientSession, credentialId: string, visibility: unknown): Promise<'public' | 'private'> {
    if(visibility !== 'public' && visibility !== 'private') {
      throw new DomainError('VALIDATION_FAILED', 400, 'visibility must be "public" or "private".', {errors: [{path: 'visibility', message: 'must be "public" or "private"'}]});
    }
    // The change and its audit entry (in the issuer's log: the credential is theirs) commit together; a repeat writes nothing.
    await this.ctx.db.transaction(async tx => {
      const result = await setCredentialHidden(tx, credentialId, session.email, visibility === 'private' ? this.ctx.now() : null);
      if(!result) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
      if(!result.changed || !this.audit) return;
      await this.audit.append(tx, [{organizationId: result.organizationId, actor: {type: 'recipient'},
        action: visibility === 'private' ? 'credential.hidden' : 'credential.shown', subjectType: 'credential', subjectId: credentialId,
        before: {visibility: result.wasHidden ? 'private' : 'public'}, after: {visibility}}]);
    });
    return visibility;
  }

  /**
   * Saves the profile settings. A handle is 3–30 characters of a–z, 0–9 and `-` (not at either
   * end), not reserved, and unique (HANDLE_TAKEN); a public profile needs one.
   */
  async saveProfile(session: RecipientSession, input: {handle?: unknown; displayName?: unknown; profilePublic?: unknown}): Promise<ProfileView> {
    const problems: FieldProblem[] = [];
    const handleText = typeof input.handle === 'string' ? input.handle.trim().toLowerCase() : '';
    const handle = handleText === '' ? null : handleText;
    if(handle !== null && !HANDLE.test(handle)) problems.push({path: 'handle', message: 'must be 3–30 characters: a–z, 0–9 and "-", starting and ending with a letter or digit'});
    else if(handle !== null && RESERVED_HANDLES.has(handle)) problems.push({path: 'handle', message: 'is reserved; choose another'});
    const profilePublic = input.profilePublic === true || input.profilePublic === 'on' || input.profilePublic === 'true';
    if(profilePublic && handle === null && problems.length === 0) problems.push({path: 'handle', message: 'is needed for a public profile'});
    if(problems.length > 0) throw new DomainError('HANDLE_INVALID', 400, 'The handle is not valid.', {errors: problems});
    const nameText = typeof input.displayName === 'string' ? input.displayName.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim() : '';
    if(nameText.length > 100) {
      throw new DomainError('VALIDATION_FAILED', 400, 'The display name is too long.', {errors: [{path: 'displayName', message: 'must be at most 100 characters'}]});
    }
    const now = this.ctx.now();
    await ensureProfile(this.ctx.db, session.email, now);
    try {
      return profileView(await updateProfile(this.ctx.db, session.email, {handle, displayName: nameText || null, profilePublic}, now));
    } catch(error) {
      if((error as {code?: string}).code === '23505') {
        throw new DomainError('HANDLE_TAKEN', 409, 'This handle is taken; choose another.', {errors: [{path: 'handle', message: 'is taken'}]});
      }
      throw error;
    }
  }

  /** A public profile by handle; null when unknown or not public. */
  async publicProfile(handleInput: string): Promise<PublicProfile | null> {
    const handle = handleInput.toLowerCase();
    if(!HANDLE.test(handle)) return null;
    const profile = await findProfileByHandle(this.ctx.db, handle);
    if(!profile || !profile.profile_public) return null;
    const now = this.ctx.now();
    const rows = await listPublicCredentials(this.ctx.db, profile.email, PORTFOLIO_PAGE_LIMIT);
    return {handle, displayName: profile.display_name, items: rows.map(r => itemOf(r, now))};
  }

  // ------------------------------------------------------------ export

  /**
   * Everything as a ZIP, streamed: `<issuer>/<achievement>-<id>.json` (the stored signed
   * document, byte for byte) and, when rendering is available, the `.pdf` beside it.
   * Private credentials are included (the owner asks). Read 100 at a time, and no faster
   * than the client downloads: a page is read only once the ZIP writer has reached the
   * page before the last, so at most two pages of documents and PDFs are held, however
   * slow the client or large the portfolio. A client that goes away stops the reading.
   */
  exportZip(session: RecipientSession, log: PortfolioLog): Readable {
    const zip = new ZipFile();
    const out = zip.outputStream as Readable;
    const gone = new Promise<'gone'>(resolve => {
      out.once('close', () => resolve('gone'));
      out.once('error', () => resolve('gone'));
    });
    /** Adds a file; resolves when the ZIP writer starts to read it (everything queued before it is written). */
    const add = (bytes: Buffer, name: string, options: {mtime: Date; compress?: boolean}): Promise<void> => new Promise(reached => {
      zip.addReadStream(new Readable({read() {
        reached();
        this.push(bytes);
        this.push(null);
      }}), name, {...options, size: bytes.length});
    });
    const fill = async () => {
      let after: {issuedAt: Date; id: string} | null = null;
      let previous: Promise<void> = Promise.resolve();
      for(;;) {
        const page = await pageRecipientDocuments(this.ctx.db, session.email, after, 100);
        let last: Promise<void> = previous;
        for(const row of page) {
          const base = exportName(row);
          last = add(Buffer.from(row.document, 'utf8'), `${base}.json`, {mtime: row.issued_at});
          if(this.pdf) {
            try {
              const pdf = await this.pdf(row.id);
              if(pdf) last = add(pdf, `${base}.pdf`, {mtime: row.issued_at, compress: false});
            } catch(error) {
              log.error({err: error, credentialId: row.id}, 'portfolio: the PDF could not be rendered for the export');
            }
          }
        }
        if(page.length < 100) break;
        const lastRow = page[page.length - 1];
        after = {issuedAt: lastRow.issued_at, id: lastRow.id};
        // Backpressure: wait until the writer has reached the previous page's last file.
        if(await Promise.race([previous.then(() => 'on' as const), gone]) === 'gone') return;
        previous = last;
        // PGlite answers in microtasks: let the event loop serve other requests between pages.
        await yieldToEventLoop();
      }
      zip.end();
    };
    fill().catch(error => {
      log.error({err: error}, 'portfolio: the export failed');
      out.destroy(error as Error);
    });
    return zip.outputStream as Readable;
  }
}
