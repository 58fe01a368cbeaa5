// `laurel verify` on PDFs with an attached credential: detected by content, verified like any other source.
import {mkdtempSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {deflateSync} from 'node:zlib';
import {didKeyFromPublicKey, encodeEd25519PublicKey, signVcJwt} from '@laurel/core';
import {pdfkitPdf as pdfWith} from '../../core/test/pdf-helpers.js';
import {beforeAll, describe, expect, it} from 'vitest';
import {didKeyIssuer, issueCredential, testKey} from './credentials.js';
import {runCli} from './run-cli.js';


const dir = mkdtempSync(join(tmpdir(), 'laurel-cli-pdf-'));
const file = (name: string, content: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

let json: string, tamperedJson: string, jwt: string;

beforeAll(async () => {
  const credential = await issueCredential(didKeyIssuer(testKey(1)));
  json = JSON.stringify(credential, null, 2);
  tamperedJson = JSON.stringify({...credential, name: 'A Better Badge'}, null, 2);
  const key = testKey(3);
  const did = didKeyFromPublicKey(key.publicKey);
  const {proof: _proof, ...unsigned} = await issueCredential({...didKeyIssuer(key)});
  const signer = key.signerFor(`${did}#${encodeEd25519PublicKey(key.publicKey)}`);
  jwt = await signVcJwt(unsigned, {kid: signer.id, alg: 'EdDSA', sign: signer.sign}, new Date('2025-01-01T00:00:00Z'));
});

describe.concurrent('laurel verify <pdf>', () => {
  it('verifies the credential attached to a PDF: exit 0', async () => {
    const path = file('certificate.pdf', await pdfWith([{name: 'notes.txt', content: 'hello'}, {name: 'credential.json', content: json}]));
    const run = await runCli(['verify', path]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`VERIFIED: ${path}`);
    expect(run.stdout).toMatch(/✓ PROOF_VALID /);
  });

  it('detects a PDF by its magic bytes, not its name, and prints JSON with --json', async () => {
    const run = await runCli(['verify', '--json', file('certificate.dat', await pdfWith([{name: 'credential.json', content: json}]))]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.verified).toBe(true);
    expect(result.checks.map((c: {code: string}) => c.code)).toContain('PROOF_VALID');
  });

  it('verifies a vc+jwt attached to a PDF: exit 0', async () => {
    const run = await runCli(['verify', '--json', file('jwt.pdf', await pdfWith([{name: 'credential.jwt', content: jwt}]))]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).verified).toBe(true);
  });

  it('rejects a tampered attached credential: exit 1, PROOF_VERIFICATION_ERROR', async () => {
    const run = await runCli(['verify', file('tampered.pdf', await pdfWith([{name: 'credential.json', content: tamperedJson}]))]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ PROOF_VERIFICATION_ERROR /);
  });

  it('reports a PDF with no credential attached: exit 1, PDF_NO_CREDENTIAL', async () => {
    const run = await runCli(['verify', file('plain.pdf', await pdfWith([{name: 'notes.txt', content: 'hello'}]))]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/cannot verify .*plain\.pdf: PDF_NO_CREDENTIAL: none of this PDF's 1 attached file \("notes\.txt"\) is a credential/);
  });

  it('refuses a zip-bomb-like attachment and a truncated PDF: exit 1, coded', async () => {
    const bomb = file('bomb.pdf', await pdfWith([{name: 'credential.json', content: Buffer.alloc(8 * 1024 * 1024)}]));
    const whole = await pdfWith([{name: 'credential.json', content: json}]);
    const cut = file('cut.pdf', whole.subarray(0, whole.length >> 1));
    const [bombRun, cutRun] = await Promise.all([runCli(['verify', bomb]), runCli(['verify', '--json', cut])]);
    expect(bombRun.code).toBe(1);
    expect(bombRun.stderr).toMatch(/PDF_STREAM_TOO_LARGE: the attachment "credential\.json" decompresses to more than 2097152 bytes/);
    expect(cutRun.code).toBe(1);
    expect(cutRun.stderr).toMatch(/PDF_MALFORMED: the PDF is truncated/);
  });

  it('verifies a PDF among other sources, and one fetched by URL', async () => {
    const pdf = await pdfWith([{name: 'credential.json', content: json}]);
    const server = createServer((req, res) => {
      if(req.url === '/cert.pdf') res.writeHead(200, {'content-type': 'application/pdf'}).end(pdf);
      else res.writeHead(404).end();
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cert.pdf`;
    try {
      const run = await runCli(['verify', '--json', '--allow-http', file('a.pdf', pdf), file('b.json', Buffer.from(json)), url]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).map((o: {result: {verified: boolean}}) => o.result.verified)).toEqual([true, true, true]);
    } finally {
      server.close();
    }
  });

  it('never mistakes a damaged stream for a credential', async () => {
    // A hand-made PDF whose attachment claims FlateDecode but is not zlib data.
    const junk = deflateSync(Buffer.from(json)).subarray(0, 30);
    const pdf = Buffer.concat([Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Type /EmbeddedFile /Filter /FlateDecode /Length ${junk.length} >>\nstream\n`), junk,
      Buffer.from('\nendstream\nendobj\n2 0 obj\n<< /Type /Filespec /F (credential.json) /EF << /F 1 0 R >> >>\nendobj\ntrailer\n<< >>\n%%EOF\n')]);
    const run = await runCli(['verify', file('damaged.pdf', pdf)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PDF_MALFORMED: the attachment "credential\.json" could not be decompressed/);
  });
});
