/** One credential to sign in bulk, and how: shared by the signing threads and the thread that hands them work. */
import {type KeyObject, sign} from 'node:crypto';
import {type Canonicalizer, signCredential} from '@laurel/core';

/** One credential to sign. */
export interface SignTask {
  unsigned: Record<string, unknown>;
  vmId: string;
  /** A node:crypto KeyObject (passed by postMessage to the threads). */
  key: KeyObject;
  created: string;
  cryptosuite?: 'eddsa-rdfc-2022' | 'eddsa-jcs-2022';
}

/** Signs tasks one after another with this canonicalizer. */
export async function signTasks(tasks: SignTask[], canonicalizer: Canonicalizer): Promise<Record<string, unknown>[]> {
  const signed = [];
  for(const t of tasks) {
    const signer = {id: t.vmId, algorithm: 'Ed25519' as const, sign: (data: Uint8Array) => new Uint8Array(sign(null, data, t.key))};
    signed.push(await signCredential(t.unsigned, signer, t.created, canonicalizer, {cryptosuite: t.cryptosuite}));
  }
  return signed;
}
