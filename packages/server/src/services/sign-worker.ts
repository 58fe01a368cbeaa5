/**
 * A signing worker thread (services/sign-pool.ts): signs credentials with the key it is
 * handed (a node:crypto KeyObject, passed by postMessage), on its own Canonicalizer.
 * Bundled with esbuild for Node, so it runs without the TypeScript loader.
 */
import {nodeCryptoPorts} from '@laurel/core/node';
import {type KeyObject, sign} from 'node:crypto';
import {parentPort} from 'node:worker_threads';
import {Canonicalizer, createDocumentLoader, signCredential} from '@laurel/core';

/** One credential to sign. */
export interface SignTask {
  unsigned: Record<string, unknown>;
  vmId: string;
  key: KeyObject;
  created: string;
  cryptosuite?: 'eddsa-rdfc-2022' | 'eddsa-jcs-2022';
}

const canonicalizer = new Canonicalizer(createDocumentLoader(), nodeCryptoPorts());

parentPort?.on('message', async (message: {id: number; tasks: SignTask[]}) => {
  try {
    const signed = [];
    for(const t of message.tasks) {
      const signer = {id: t.vmId, algorithm: 'Ed25519' as const, sign: (data: Uint8Array) => new Uint8Array(sign(null, data, t.key))};
      signed.push(await signCredential(t.unsigned, signer, t.created, canonicalizer, {cryptosuite: t.cryptosuite}));
    }
    parentPort!.postMessage({id: message.id, signed});
  } catch(error) {
    parentPort!.postMessage({id: message.id, error: (error as Error)?.message ?? String(error)});
  }
});
