/** Configuration from environment variables. Only entry points call loadConfig. */
import {resolve} from 'node:path';
import {parseMasterKey} from './crypto/master-key.js';

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
  const bulkRevokeChunk = env.LAUREL_BULK_REVOKE_CHUNK ? Number(env.LAUREL_BULK_REVOKE_CHUNK) : 500;
  if(!Number.isInteger(bulkRevokeChunk) || bulkRevokeChunk < 1 || bulkRevokeChunk > 10_000) {
    throw new Error(`LAUREL_BULK_REVOKE_CHUNK must be a whole number from 1 to 10000, got "${env.LAUREL_BULK_REVOKE_CHUNK}"`);
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
  };
}
