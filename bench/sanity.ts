/**
 * Cross-checks run once before timing: each stack must accept what the other
 * signs, and both must produce the same proof for the same credential
 * (Ed25519 is deterministic and `created` is fixed). Any failure aborts the bench.
 */
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {Canonicalizer, createDocumentLoader, type DocumentLoader, resolveDidKey, type Signer, signCredential,
  verifyCredential} from '@laurel/core';
import {type BenchKey, CREATED, nextCredential, VERIFY_NOW} from './fixtures.js';

export interface SanityInput {
  key: BenchKey;
  signer: Signer;
  canonicalizer: Canonicalizer;
  dbSuite: unknown;
  dbLoader: DocumentLoader;
}

/** Returns the list of failures (empty when all checks pass) and prints one line per check. */
export async function sanityChecks({key, signer, canonicalizer, dbSuite, dbLoader}: SanityInput): Promise<string[]> {
  const failures: string[] = [];
  const check = (name: string, ok: boolean, detail: () => string) => {
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}`);
    if(!ok) failures.push(`${name}: ${detail()}`);
  };

  // 1. DB signs, Laurel verifies (with its own canonicalizer: an independent check).
  const credA = nextCredential(key.did);
  const dbSigned = await vc.issue({credential: structuredClone(credA), suite: dbSuite, documentLoader: dbLoader});
  const laurelResult = await verifyCredential(dbSigned, {
    canonicalizer: new Canonicalizer(createDocumentLoader()), resolveController: resolveDidKey, now: () => VERIFY_NOW,
  });
  check('DB-signed credential verifies with Laurel verifyCredential', laurelResult.verified,
    () => JSON.stringify(laurelResult.errors, null, 2));

  // 2. Laurel signs, DB verifies.
  const credB = nextCredential(key.did);
  const laurelSigned = await signCredential(credB, signer, CREATED, canonicalizer);
  const dbResult = await vc.verifyCredential({
    credential: laurelSigned, suite: new DataIntegrityProof({cryptosuite}), documentLoader: dbLoader, now: VERIFY_NOW,
  });
  check('Laurel-signed credential verifies with DB vc.verifyCredential', dbResult.verified === true,
    () => String((dbResult.error as Error | undefined)?.stack ?? JSON.stringify(dbResult, null, 2)));

  // 3. Same credential, same key, same `created`: byte-identical proofs.
  const laurelA = await signCredential(credA, signer, CREATED, canonicalizer);
  const sorted = (o: unknown) => JSON.stringify(Object.fromEntries(Object.entries(o as object).sort(([a], [b]) => a.localeCompare(b))));
  const same = sorted(laurelA.proof) === sorted(dbSigned.proof);
  check('Laurel and DB produce the identical proof for the same credential', same,
    () => `laurel ${sorted(laurelA.proof)}\n  db     ${sorted(dbSigned.proof)}`);

  // 4. A tampered Laurel credential must fail in DB (the verifier is really checking).
  const tampered = structuredClone(laurelSigned) as Record<string, any>;
  tampered.credentialSubject.identifier[1].identityHash += ' (edited)';
  const tamperedResult = await vc.verifyCredential({
    credential: tampered, suite: new DataIntegrityProof({cryptosuite}), documentLoader: dbLoader, now: VERIFY_NOW,
  });
  check('a tampered credential is rejected by DB', tamperedResult.verified === false, () => 'DB accepted an edited credential');
  return failures;
}
