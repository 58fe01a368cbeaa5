/** Configuration from environment variables. Only entry points call loadConfig. */
import {resolve} from 'node:path';
import {parseMasterKey} from './crypto/master-key.js';
import {DEFAULT_PGLITE_SHARED_BUFFERS, SHARED_BUFFERS} from './db/pglite.js';

/** Laurel's settings. */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  databaseUrl?: string;
  adminToken?: string;
  trustProxy: boolean;
  masterKey?: string;
  demo: boolean;
  logLevel: string;
  /** Credentials revoked per transaction by a bulk revocation job. */
  bulkRevokeChunk: number;
  /** Rows issued per transaction by a batch job. */
  batchChunk: number;
  /** Seconds one run of a batch job works before it hands over to a continuation job. */
  batchSliceSeconds: number;
  /** Seconds between job queue maintenance runs (retrying the jobs of crashed workers). */
  jobMaintenanceSeconds: number;
  /** Whether this process runs background jobs (LAUREL_WORKERS=0: API only, next to `laurel worker` processes). */
  workers: boolean;
  /** Limits of one bulk upload. */
  uploadLimits: {maxRows: number; maxBytes: number; maxFieldLength: number};
  /** SMTP server for email (`smtp://…` or `smtps://…`); unset: emails go to `<dataDir>/outbox`. */
  smtpUrl?: string;
  /** The sender of emails; each organization's name replaces the display name. */
  mailFrom: {name: string; address: string};
  /** Emails per second per process; 0: no throttle. */
  mailRate: number;
  /** PGlite's shared_buffers for the data directory (e.g. `32MB`). */
  pgliteSharedBuffers: string;
}

/** `Name <address>` or a bare address. */
function parseMailbox(text: string): {name: string; address: string} | null {
  const m = /^\s*(?:"?([^"<>]*?)"?\s*<([^<>\s@]+@[^<>\s@]+)>|([^<>\s@]+@[^<>\s@]+))\s*$/.exec(text);
  if(!m) return null;
  return m[3] ? {name: '', address: m[3]} : {name: m[1].trim(), address: m[2]};
}

/** Reads and checks the environment; throws a readable error for a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const port = env.PORT ? Number(env.PORT) : 3000;
  if(!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const publicUrl = (env.LAUREL_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(publicUrl);
  } catch {
    throw new Error(`LAUREL_PUBLIC_URL must be an absolute URL, got "${publicUrl}"`);
  }
  if(parsed.pathname !== '/' || parsed.search || parsed.hash) throw new Error('LAUREL_PUBLIC_URL must be an origin (scheme, host and port only)');
  // Checked before anything is written, so a bad key fails fast.
  if(env.LAUREL_MASTER_KEY) parseMasterKey(env.LAUREL_MASTER_KEY);
  const databaseUrl = env.DATABASE_URL || undefined;
  if(databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
  const whole = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if(raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if(!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  const batchChunk = whole('LAUREL_BATCH_CHUNK', 250, 1, 5000);
  const batchSliceSeconds = whole('LAUREL_BATCH_SLICE_SECONDS', 60, 1, 3600);
  const jobMaintenanceSeconds = whole('LAUREL_JOB_MAINTENANCE_SECONDS', 60, 1, 3600);
  const workers = env.LAUREL_WORKERS !== '0' && env.LAUREL_WORKERS !== 'false';
  const uploadLimits = {maxRows: whole('LAUREL_UPLOAD_MAX_ROWS', 200_000, 1, 10_000_000),
    maxBytes: whole('LAUREL_UPLOAD_MAX_BYTES', 100 * 1024 * 1024, 1024, 2 ** 40), maxFieldLength: 4096};
  const bulkRevokeChunk = env.LAUREL_BULK_REVOKE_CHUNK ? Number(env.LAUREL_BULK_REVOKE_CHUNK) : 500;
  if(!Number.isInteger(bulkRevokeChunk) || bulkRevokeChunk < 1 || bulkRevokeChunk > 10_000) {
    throw new Error(`LAUREL_BULK_REVOKE_CHUNK must be a whole number from 1 to 10000, got "${env.LAUREL_BULK_REVOKE_CHUNK}"`);
  }
  const smtpUrl = env.SMTP_URL || undefined;
  if(smtpUrl) {
    let url: URL | null = null;
    try {
      url = new URL(smtpUrl);
    } catch {
      // reported below
    }
    if(!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
      throw new Error('SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://…');
    }
  }
  const mailFrom = env.MAIL_FROM ? parseMailbox(env.MAIL_FROM) : {name: 'Laurel', address: `no-reply@${parsed.hostname}`};
  if(!mailFrom) throw new Error(`MAIL_FROM must be an address or "Name <address>", got "${env.MAIL_FROM}"`);
  const mailRate = env.MAIL_RATE !== undefined && env.MAIL_RATE !== '' ? Number(env.MAIL_RATE) : 10;
  if(!Number.isFinite(mailRate) || mailRate < 0 || mailRate > 10_000) {
    throw new Error(`MAIL_RATE must be a number of emails per second from 0 (no throttle) to 10000, got "${env.MAIL_RATE}"`);
  }
  const pgliteSharedBuffers = env.LAUREL_PGLITE_SHARED_BUFFERS || DEFAULT_PGLITE_SHARED_BUFFERS;
  if(!SHARED_BUFFERS.test(pgliteSharedBuffers)) {
    throw new Error(`LAUREL_PGLITE_SHARED_BUFFERS must be a size such as 32MB or 128MB, got "${env.LAUREL_PGLITE_SHARED_BUFFERS}"`);
  }
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    publicUrl: parsed.origin,
    dataDir: resolve(cwd, env.LAUREL_DATA_DIR ?? 'data'),
    databaseUrl,
    adminToken: env.LAUREL_ADMIN_TOKEN || undefined,
    trustProxy: env.LAUREL_TRUST_PROXY === '1' || env.LAUREL_TRUST_PROXY === 'true',
    masterKey: env.LAUREL_MASTER_KEY || undefined,
    demo: env.LAUREL_DEMO !== '0' && env.LAUREL_DEMO !== 'false',
    logLevel: env.LOG_LEVEL ?? 'info',
    bulkRevokeChunk,
    batchChunk,
    batchSliceSeconds,
    jobMaintenanceSeconds,
    workers,
    uploadLimits,
    smtpUrl,
    mailFrom,
    mailRate,
    pgliteSharedBuffers,
  };
}
