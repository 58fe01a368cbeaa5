/**
 * Where messages go: an SMTP server through nodemailer (`SMTP_URL`), or, with no
 * SMTP server configured, the outbox: one RFC 5322 `.eml` file per message in a
 * directory, written atomically (temporary file, fsync, rename), so a reader never
 * sees half a message.
 */
import {randomBytes} from 'node:crypto';
import {mkdir, open, rename, unlink} from 'node:fs/promises';
import {join} from 'node:path';
import nodemailer from 'nodemailer';

/** A name and an address (the name is quoted or encoded by nodemailer, never pasted into a header). */
export interface MailAddress {
  name: string;
  address: string;
}

/** A file attached to a message (later: the credential's PDF). */
export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A message ready to go. */
export interface OutgoingMail {
  /** The delivery it belongs to (names the outbox file). */
  deliveryId: string;
  from: MailAddress;
  replyTo?: string;
  to: MailAddress;
  subject: string;
  html: string;
  text: string;
  /** Extra headers (List-Unsubscribe, List-Unsubscribe-Post). */
  headers: Record<string, string>;
  attachments: MailAttachment[];
}

/** What a transport needs to do. */
export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  /** Where messages go, for the start-up log line: the outbox directory, or the SMTP URL without its password. */
  readonly target: string;
  /** Sends one message; resolves with its Message-ID. Rejects with nodemailer's errors (see `classifySendError`). */
  send(mail: OutgoingMail): Promise<{messageId: string}>;
  close(): Promise<void>;
}

/** How many SMTP connections the pool keeps (messages in flight per process). */
export const SMTP_CONNECTIONS = 4;

function toNodemailer(mail: OutgoingMail) {
  return {
    from: {name: mail.from.name, address: mail.from.address},
    to: {name: mail.to.name, address: mail.to.address},
    ...(mail.replyTo ? {replyTo: mail.replyTo} : {}),
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers: mail.headers,
    attachments: mail.attachments.map(a => ({filename: a.filename, contentType: a.contentType, content: a.content})),
    // Nothing in a message may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** `smtp://host:587` with the user name but never the password. */
export function redactSmtpUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}`;
  } catch {
    return '(invalid SMTP URL)';
  }
}

/** SMTP through a small pool of connections (reused between messages). */
export function smtpTransport(url: string, connections = SMTP_CONNECTIONS): MailTransport {
  const transporter = nodemailer.createTransport({
    url, pool: true, maxConnections: connections, maxMessages: 100,
    // Shorter than nodemailer's minutes-long defaults: a hung server fails the attempt, which is then retried.
    connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000,
  });
  return {
    kind: 'smtp',
    target: redactSmtpUrl(url),
    async send(mail) {
      const info = await transporter.sendMail(toNodemailer(mail));
      return {messageId: info.messageId};
    },
    async close() {
      transporter.close();
    },
  };
}

/** The outbox: each message as `<time>-<delivery id>.eml` in `dir` (created when needed). */
export function outboxTransport(dir: string): MailTransport {
  // RFC 5322 wants CRLF line ends.
  const composer = nodemailer.createTransport({streamTransport: true, buffer: true, newline: 'windows'});
  let made: Promise<unknown> | null = null;
  return {
    kind: 'outbox',
    target: dir,
    async send(mail) {
      const info = await composer.sendMail(toNodemailer(mail));
      made ??= mkdir(dir, {recursive: true}).catch(error => {
        made = null;
        throw error;
      });
      await made;
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.deliveryId}.eml`;
      const temp = join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
      const file = await open(temp, 'wx', 0o600);
      try {
        await file.writeFile(info.message as Buffer);
        await file.sync();
      } catch(error) {
        await file.close();
        await unlink(temp).catch(() => undefined);
        throw error;
      }
      await file.close();
      await rename(temp, join(dir, name));
      return {messageId: info.messageId};
    },
    async close() {
      composer.close();
    },
  };
}

/** What an SMTP error means for the delivery. */
export type SendErrorClass = 'bounced' | 'failed' | 'transient';

/**
 * Permanent refusals (5xx, RFC 5321 §4.2.1) are final: `bounced` when the server refused the
 * recipient (RCPT TO), `failed` when it refused the message. Everything else (4xx, 503, a lost
 * connection, a timeout, an authentication or TLS problem that the operator can fix) is
 * transient and retried.
 */
export function classifySendError(error: unknown): SendErrorClass {
  const e = error as {code?: string; responseCode?: number; permanent?: boolean; command?: string};
  const permanent = e?.permanent ?? (typeof e?.responseCode === 'number' && e.responseCode >= 500 && e.responseCode !== 503);
  if(!permanent) return 'transient';
  // A server that refuses our login or TLS refuses every message: a configuration problem, not this message's.
  if(e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.code === 'ETLS' || e.code === 'ECONFIG' || /^(AUTH|STARTTLS|MAIL FROM)/i.test(e.command ?? '')) {
    return 'transient';
  }
  return e.code === 'EENVELOPE' || /^RCPT/i.test(e.command ?? '') ? 'bounced' : 'failed';
}

/** A short, stored description of a send error (no stack; SMTP replies included). */
export function describeSendError(error: unknown): string {
  const e = error as {message?: string; responseCode?: number; code?: string};
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return `${e?.code ? `${e.code}: ` : ''}${message}`.replace(/\s+/g, ' ').slice(0, 1000);
}
