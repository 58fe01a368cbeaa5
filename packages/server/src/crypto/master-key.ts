/**
 * The master key that encrypts issuers' signing keys at rest (AES-256-GCM).
 * LAUREL_MASTER_KEY (32 bytes, base64 or hex) in production; in development a
 * key is generated into the data directory once, and the log says so.
 */
import {createCipheriv, createDecipheriv, randomBytes} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

/** Encrypts and decrypts small secrets, binding each to a context string (AAD). */
export interface SecretBox {
  seal(plaintext: Uint8Array, context: string): Buffer;
  open(sealed: Uint8Array, context: string): Buffer;
}

/** Parses a 32-byte key given as 64 hex characters or base64/base64url. */
export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if(key.length !== 32) throw new Error('LAUREL_MASTER_KEY must be 32 bytes, as 64 hex characters or base64');
  return key;
}

/** Loads the master key from the environment value, or from/into `<dataDir>/master.key`. */
export function loadMasterKey(envValue: string | undefined, dataDir: string | null, log: (msg: string) => void): Buffer {
  if(envValue) return parseMasterKey(envValue);
  if(!dataDir) return randomBytes(32);
  const path = join(dataDir, 'master.key');
  if(existsSync(path)) {
    log(`Using the development master key in ${path} (set LAUREL_MASTER_KEY in production).`);
    return parseMasterKey(readFileSync(path, 'utf8'));
  }
  mkdirSync(dataDir, {recursive: true});
  const key = randomBytes(32);
  writeFileSync(path, key.toString('hex') + '\n', {mode: 0o600, flag: 'wx'});
  log(`Generated a development master key in ${path}. Set LAUREL_MASTER_KEY in production and keep it safe: without it, signing keys cannot be decrypted.`);
  return key;
}

/** AES-256-GCM box: output is iv(12) ‖ ciphertext ‖ tag(16). */
export function createSecretBox(masterKey: Buffer): SecretBox {
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      cipher.setAAD(Buffer.from(context));
      return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    open(sealed, context) {
      const buf = Buffer.from(sealed);
      const decipher = createDecipheriv('aes-256-gcm', masterKey, buf.subarray(0, 12));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(buf.subarray(buf.length - 16));
      return Buffer.concat([decipher.update(buf.subarray(12, buf.length - 16)), decipher.final()]);
    },
  };
}
