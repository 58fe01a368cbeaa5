/**
 * Where one Laurel signing spends its time: the steps of createEddsaRdfcProof
 * replayed one by one (sequentially, so the two canonicalizations are timed
 * separately; the real code runs them under one Promise.all).
 */
import jsonld from 'jsonld';
import canonizeLib from 'rdf-canonize';
import {type Canonicalizer, type DocumentLoader, EDDSA_RDFC_2022, type Signer, toBase58btc} from '@laurel/core';
import {CREATED, nextCredential} from './fixtures.js';
import {fmtMicros, table} from './measure.js';

const now = () => performance.now();

const PHASES = ['build credential (not part of signing)', 'canonize proof config', 'canonize document',
  'sha256 x2', 'Ed25519 sign', 'base58 + assemble'] as const;

async function timeFor(ms: number, op: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const t0 = now();
  while(now() - t0 < ms) {
    await op();
    n++;
  }
  return (now() - t0) / n; // ms per op
}

export async function printSplit(opts: {issuerDid: string; signer: Signer; canonicalizer: Canonicalizer;
  loader: DocumentLoader; ms: number}): Promise<void> {
  const {issuerDid, signer, canonicalizer, loader, ms} = opts;
  const sums: number[] = PHASES.map(() => 0);
  let n = 0;
  const start = now();
  while(now() - start < ms) {
    let t = now();
    const lap = (i: number) => { const t2 = now(); sums[i] += t2 - t; t = t2; };
    const document = nextCredential(issuerDid);
    lap(0);
    const proof = {type: 'DataIntegrityProof', cryptosuite: EDDSA_RDFC_2022, created: CREATED,
      verificationMethod: signer.id, proofPurpose: 'assertionMethod'};
    const canonConfig = await canonicalizer.canonize({...proof, '@context': document['@context']});
    lap(1);
    const canonDoc = await canonicalizer.canonize(document);
    lap(2);
    const hashData = new Uint8Array(64);
    // As core does it: the canonicalizer's SHA-256 (data-integrity.ts).
    hashData.set(await canonicalizer.sha256(canonConfig), 0);
    hashData.set(await canonicalizer.sha256(canonDoc), 32);
    lap(3);
    const signature = await signer.sign(hashData);
    lap(4);
    const out = {...document, proof: {...proof, proofValue: toBase58btc(signature)}};
    lap(5);
    if(!out.proof.proofValue) throw new Error('unreachable');
    n++;
  }
  const signing = sums.slice(1).reduce((a, b) => a + b, 0);
  const rows = PHASES.map((name, i) => [name, `${((sums[i] / n) * 1000).toFixed(1)} µs`,
    i === 0 ? '' : `${((sums[i] / signing) * 100).toFixed(1)}%`]);
  rows.push(['= signing total (excl. build)', `${((signing / n) * 1000).toFixed(1)} µs`, '100.0%']);
  console.log(`\nTime split of one Laurel signing (mean of ${n} sequential signings, shape cache warm):`);
  console.log(table(['step', 'mean', 'share'], rows));

  // For insight: the pieces of "canonize document" and what the shape cache saves.
  const doc = nextCredential(issuerDid);
  const quads = await (jsonld as any).toRDF(doc, {documentLoader: loader, safe: true, base: null});
  const rdfcOnly = await timeFor(ms / 2, () => canonizeLib.canonize(quads, {algorithm: 'RDFC-1.0', messageDigestAlgorithm: 'SHA-256'}));
  const cached = await timeFor(ms / 2, () => canonicalizer.canonize(nextCredential(issuerDid)));
  const uncached = await timeFor(ms / 2, () => canonicalizer.canonize(nextCredential(issuerDid), {noCache: true}));
  console.log(`\nCanonicalizing the document (${quads.length} quads):`);
  console.log(table(['path', 'mean'], [
    ['rdf-canonize alone (RDFC-1.0 on ready quads)', fmtMicros(1000 / rdfcOnly)],
    ['Laurel shape-cached canonize (incl. build)', fmtMicros(1000 / cached)],
    ['jsonld.toRDF + rdf-canonize, no cache (incl. build; ≈ DB path)', fmtMicros(1000 / uncached)],
  ]));
}
