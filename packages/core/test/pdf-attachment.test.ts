import {pdfkitPdf} from './pdf-helpers.js';
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {deflateSync} from 'node:zlib';
import fc from 'fast-check';
import {beforeAll, describe, expect, it} from 'vitest';
import {bakePng, bakeSvg} from '../src/bake.js';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {resolveDidKey} from '../src/did.js';
import {isPdf, listPdfAttachments, MAX_PDF_BYTES, MAX_PDF_DECODED_TOTAL, unbakePdf} from '../src/pdf-attachment.js';
import {signCredential} from '../src/sign.js';
import {sniffContainer, unbakeFile, type UnbakeProblemCode} from '../src/unbake.js';
import {signVcJwt, verifyVcJwt} from '../src/vc-jose.js';
import {verifyCredential, type VerifyPorts} from '../src/verify.js';
import {randomDidKey, sampleCredentialInput} from './helpers.js';

const canonicalizer = new Canonicalizer(createDocumentLoader());
const ports: VerifyPorts = {canonicalizer, resolveController: resolveDidKey, now: () => new Date('2026-01-01T00:00:00Z')};
const FIXTURE = new Uint8Array(readFileSync(new URL('./fixtures/credential-attached.pdf', import.meta.url)));
const FIXTURE_JSON = readFileSync(new URL('./fixtures/credential-attached.json', import.meta.url), 'utf8').trim();
const PDFDETACH = '/usr/bin/pdfdetach';
const hasPdfdetach = existsSync(PDFDETACH);
const dir = mkdtempSync(join(tmpdir(), 'laurel-pdf-'));
const enc = (text: string) => new TextEncoder().encode(text);


type RawObject = {num: number; body: string} | {num: number; dict: string; stream: Uint8Array};

/** A hand-made PDF: these objects, a classic cross-reference table, a trailer. */
function rawPdf(objects: RawObject[], trailer = '/Root 1 0 R'): Uint8Array {
  const parts: Uint8Array[] = [enc('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')];
  let offset = parts[0].length;
  const offsets = new Map<number, number>();
  for(const o of objects) {
    offsets.set(o.num, offset);
    const bytes = 'body' in o
      ? [enc(`${o.num} 0 obj\n${o.body}\nendobj\n`)]
      : [enc(`${o.num} 0 obj\n${o.dict.replace('>>', ` /Length ${o.stream.length} >>`)}\nstream\n`), o.stream, enc('\nendstream\nendobj\n')];
    for(const b of bytes) {
      parts.push(b);
      offset += b.length;
    }
  }
  const size = Math.max(...objects.map(o => o.num)) + 1;
  let xref = `xref\n0 ${size}\n0000000000 65535 f \n`;
  for(let n = 1; n < size; n++) xref += offsets.has(n) ? `${String(offsets.get(n)).padStart(10, '0')} 00000 n \n` : '0000000000 65535 f \n';
  parts.push(enc(`${xref}trailer\n<< /Size ${size} ${trailer} >>\nstartxref\n${offset}\n%%EOF\n`));
  return new Uint8Array(Buffer.concat(parts));
}

/** A catalog with these file specifications in its /EmbeddedFiles name tree (objects 1 and 2). */
const catalog = (specs: [string, number][]): RawObject[] => [
  {num: 1, body: '<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [' +
    specs.map(([name, ref]) => `(${name}) ${ref} 0 R`).join(' ') + '] >> >> >>'},
  {num: 2, body: '<< /Type /Pages /Kids [] /Count 0 >>'},
];

/** The attachment names pdfdetach (poppler) lists, sorted. */
function pdfdetachNames(pdf: Uint8Array): string[] {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(path, pdf);
  const out = execFileSync(PDFDETACH, ['-list', path], {encoding: 'utf8'});
  return out.split('\n').slice(1).filter(Boolean).map(line => line.replace(/^\d+: /, '')).sort();
}

async function ourNames(pdf: Uint8Array): Promise<string[]> {
  const listed = await listPdfAttachments(pdf);
  if(!listed.ok) throw new Error(listed.problem.message);
  return listed.attachments.map(a => a.name ?? '(unnamed)').sort();
}

const problemOf = async (pdf: Uint8Array): Promise<UnbakeProblemCode | 'ok'> => {
  const r = await unbakePdf(pdf);
  return r.ok ? 'ok' : r.problem.code;
};

let json: string, otherJson: string, jwt: string;

beforeAll(async () => {
  const key = randomDidKey();
  json = JSON.stringify(await signCredential(buildAchievementCredential(sampleCredentialInput(key.did)), key.signer, '2025-01-01T00:00:00Z',
    canonicalizer));
  otherJson = JSON.stringify(await signCredential(buildAchievementCredential(sampleCredentialInput(key.did, {id: 'https://laurel.test/c/2'})),
    key.signer, '2025-01-01T00:00:00Z', canonicalizer));
  jwt = await signVcJwt(buildAchievementCredential(sampleCredentialInput(key.did)) as unknown as Record<string, unknown>,
    {kid: key.vmId, alg: 'EdDSA', sign: key.signer.sign}, new Date('2025-01-01T00:00:00Z'));
});

describe('unbakePdf: the committed fixture', () => {
  it('finds credential.json, which verifies', async () => {
    expect(isPdf(FIXTURE)).toBe(true);
    const unbaked = await unbakePdf(FIXTURE);
    expect(unbaked).toEqual({ok: true, text: FIXTURE_JSON, attachment: 'credential.json'});
    const result = await verifyCredential(JSON.parse(FIXTURE_JSON), ports);
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
  });

  it.skipIf(!hasPdfdetach)('lists the same attachment names as pdfdetach', async () => {
    expect(await ourNames(FIXTURE)).toEqual(pdfdetachNames(FIXTURE));
  });

  it('is reached by content through unbakeFile and sniffContainer', async () => {
    expect(sniffContainer(FIXTURE)).toBe('pdf');
    expect(await unbakeFile(FIXTURE)).toMatchObject({ok: true, text: FIXTURE_JSON});
    const png = bakePng(Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')), json);
    expect(sniffContainer(png)).toBe('png');
    expect(await unbakeFile(png)).toEqual({ok: true, text: json});
    const svg = enc(bakeSvg('<svg xmlns="http://www.w3.org/2000/svg"/>', json));
    expect(sniffContainer(svg)).toBe('svg');
    expect(await unbakeFile(svg)).toEqual({ok: true, text: json});
    expect(sniffContainer(enc(json))).toBeNull();
    expect(await unbakeFile(enc(json))).toMatchObject({ok: false, problem: {code: 'NOT_BAKED'}});
  });
});

describe('unbakePdf: PDFs made by pdfkit', () => {
  it('reads a credential from compressed and uncompressed PDFs, and it verifies', async () => {
    for(const compress of [true, false]) {
      const pdf = await pdfkitPdf([{name: 'credential.json', content: json, type: 'application/ld+json'}], {compress});
      const unbaked = await unbakePdf(pdf);
      expect(unbaked, `compress: ${compress}`).toEqual({ok: true, text: json, attachment: 'credential.json'});
      expect(unbaked.ok && (await verifyCredential(JSON.parse(unbaked.text), ports)).verified).toBe(true);
    }
  });

  it.skipIf(!hasPdfdetach)('agrees with pdfdetach on the names of several attachments', async () => {
    const files = [
      {name: 'notes é.txt', content: 'hello', type: 'text/plain'},
      {name: 'credential.json', content: json, type: 'application/ld+json'},
      {name: 'data.json', content: '{"a":1}'},
      {name: '証明書 (copy).json', content: otherJson},
      {name: 'badge.png', content: bakePng(Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')), json)},
    ];
    for(const compress of [true, false]) {
      const pdf = await pdfkitPdf(files, {compress});
      expect(await ourNames(pdf)).toEqual(pdfdetachNames(pdf));
      expect(await ourNames(pdf)).toEqual(files.map(f => f.name).sort());
    }
  });

  it('prefers a *.json credential, then any JSON credential, then a vc+jwt', async () => {
    const withJwt = await pdfkitPdf([{name: 'readme.txt', content: 'x'}, {name: 'credential.jwt', content: `${jwt}\n`}]);
    const fromJwt = await unbakePdf(withJwt);
    expect(fromJwt).toEqual({ok: true, text: jwt, attachment: 'credential.jwt'});
    expect(fromJwt.ok && (await verifyVcJwt(fromJwt.text, ports)).verified).toBe(true);
    // Any JSON credential (a VC context or type) beats a JWT; a *.json with a VC context beats both.
    const bin = await pdfkitPdf([{name: 'credential.jwt', content: jwt}, {name: 'payload.bin', content: otherJson}]);
    expect(await unbakePdf(bin)).toEqual({ok: true, text: otherJson, attachment: 'payload.bin'});
    const all = await pdfkitPdf([{name: 'credential.jwt', content: jwt}, {name: 'payload.bin', content: otherJson},
      {name: 'Credential.JSON', content: `\ufeff${json}`}]);
    expect(await unbakePdf(all)).toEqual({ok: true, text: json, attachment: 'Credential.JSON'});
    // A version number is three dot-separated parts too, but not a JWS.
    expect(await problemOf(await pdfkitPdf([{name: 'version.txt', content: '1.2.3'}]))).toBe('PDF_NO_CREDENTIAL');
  });

  it('refuses two different credentials of the same rank, and accepts the same one twice', async () => {
    const two = await pdfkitPdf([{name: 'a.json', content: json}, {name: 'b.json', content: otherJson}]);
    expect(await unbakePdf(two)).toMatchObject({ok: false, problem: {code: 'MULTIPLE_CREDENTIALS', message: expect.stringContaining('"a.json", "b.json"')}});
    const same = await pdfkitPdf([{name: 'a.json', content: json}, {name: 'copy.json', content: json}]);
    expect(await unbakePdf(same)).toMatchObject({ok: true, text: json});
  });

  it('reports a PDF with no attachments, or none that is a credential: PDF_NO_CREDENTIAL', async () => {
    expect(await unbakePdf(await pdfkitPdf([]))).toMatchObject({ok: false, problem: {code: 'PDF_NO_CREDENTIAL', message: expect.stringContaining('no attached files')}});
    const other = await unbakePdf(await pdfkitPdf([{name: 'data.json', content: '{"a":1}'}, {name: 'x.bin', content: Uint8Array.of(0xff, 0xfe, 0)}]));
    expect(other).toMatchObject({ok: false, problem: {code: 'PDF_NO_CREDENTIAL', message: expect.stringContaining('"data.json", "x.bin"')}});
  });

  it('finds a hidden attachment (only in the catalog /AF, not the name tree)', async () => {
    expect(await unbakePdf(await pdfkitPdf([{name: 'credential.json', content: json, hidden: true}]))).toMatchObject({ok: true, text: json});
  });

  it('refuses an encrypted PDF: PDF_ENCRYPTED', async () => {
    expect(await problemOf(await pdfkitPdf([{name: 'credential.json', content: json}], {userPassword: 'secret'}))).toBe('PDF_ENCRYPTED');
  });

  it('stops decompressing a zip-bomb-like attachment at the cap: PDF_STREAM_TOO_LARGE, and still finds the real credential', async () => {
    const bomb = {name: 'bomb.json', content: new Uint8Array(16 * 1024 * 1024)};
    expect(await unbakePdf(await pdfkitPdf([bomb]))).toMatchObject({ok: false, problem: {code: 'PDF_STREAM_TOO_LARGE', message: expect.stringContaining('bomb.json')}});
    expect(await unbakePdf(await pdfkitPdf([bomb, {name: 'credential.json', content: json}]))).toMatchObject({ok: true, text: json});
  });

  it('caps the total of decompressed bytes across attachments', async () => {
    const big = (i: number) => ({name: `part${i}.txt`, content: new Uint8Array(1900 * 1024).fill(0x61)});
    const listed = await listPdfAttachments(await pdfkitPdf([1, 2, 3, 4, 5].map(big)));
    expect(listed.ok && listed.attachments.map(a => a.ok ? 'ok' : a.problem.code)).toEqual(['ok', 'ok', 'ok', 'ok', 'PDF_STREAM_TOO_LARGE']);
    expect(listed.ok && !listed.attachments[4].ok && listed.attachments[4].problem.message).toContain(String(MAX_PDF_DECODED_TOTAL));
  });
});

describe('unbakePdf: damaged and hand-made PDFs', () => {
  it('refuses what is not a PDF, or too large', async () => {
    expect(await problemOf(enc(json))).toBe('NOT_PDF');
    expect(await problemOf(new Uint8Array(MAX_PDF_BYTES + 1).fill(0x25))).toBe('PDF_TOO_LARGE');
    expect(await problemOf(enc('%PDF-1.7\n%%EOF\n'))).toBe('PDF_MALFORMED');
  });

  it('refuses a truncated PDF wherever it is cut (PDF_MALFORMED), and never throws', async () => {
    const pdf = await pdfkitPdf([{name: 'credential.json', content: json}]);
    const eof = Buffer.from(pdf).lastIndexOf('%%EOF');
    for(let cut = 0; cut < eof; cut += 97) {
      const code = await problemOf(pdf.subarray(0, cut));
      expect(code, `cut at ${cut}`).toBe(cut < 5 ? 'NOT_PDF' : 'PDF_MALFORMED');
    }
  });

  it('refuses a damaged compressed attachment (the zlib checksum): PDF_MALFORMED', async () => {
    const pdf = (await pdfkitPdf([{name: 'credential.json', content: json}])).slice();
    const at = Buffer.from(pdf).indexOf('stream', Buffer.from(pdf).indexOf('/EmbeddedFile')) + 'stream\n'.length;
    pdf[at + 40] ^= 0x55;
    expect(await unbakePdf(pdf)).toMatchObject({ok: false, problem: {code: 'PDF_MALFORMED', message: expect.stringContaining('could not be decompressed')}});
  });

  it('never throws for randomly corrupted bytes, and answers with a known code', async () => {
    const codes = new Set(['ok', 'PDF_MALFORMED', 'PDF_NO_CREDENTIAL', 'PDF_UNSUPPORTED_FILTER', 'PDF_STREAM_TOO_LARGE', 'NOT_PDF', 'PDF_ENCRYPTED',
      'MULTIPLE_CREDENTIALS']);
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(FIXTURE.length - 1), fc.integer({min: 1, max: 255})), {minLength: 1, maxLength: 8}),
      async flips => {
        const pdf = FIXTURE.slice();
        for(const [at, mask] of flips) pdf[at] ^= mask;
        expect(codes).toContain(await problemOf(pdf));
      }), {numRuns: 200});
  });

  it('reads file specifications packed in an object stream, behind a cross-reference stream (PDF 1.5)', async () => {
    // Objects 1–5 live in object stream 7; the attachment (6) has no /Type, so only its file specification names it.
    const packed = ['<< /Type /Catalog /Pages 2 0 R /Names 5 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>',
      '<< /Type /Filespec /F (cred.json) /UF <FEFF00630072006500640065006E007400690061006C002E006A0073006F006E> /EF << /F 6 0 R >> >>',
      '<< /EmbeddedFiles << /Names [(credential.json) 4 0 R] >> >>'];
    let header = '', body = '';
    packed.forEach((object, i) => {
      header += `${i + 1} ${body.length} `;
      body += `${object}\n`;
    });
    const objstm = deflateSync(Buffer.from(header + body));
    const attachment = deflateSync(Buffer.from(json));
    const parts: Buffer[] = [Buffer.from('%PDF-1.7\n')];
    const offsets: number[] = [];
    const add = (num: number, dict: string, stream: Uint8Array) => {
      offsets[num] = Buffer.concat(parts).length;
      parts.push(Buffer.from(`${num} 0 obj\n${dict}\nstream\n`), Buffer.from(stream), Buffer.from('\nendstream\nendobj\n'));
    };
    add(6, `<< /Filter /FlateDecode /Length ${attachment.length} >>`, attachment);
    add(7, `<< /Type /ObjStm /N 5 /First ${header.length} /Filter /FlateDecode /Length ${objstm.length} >>`, objstm);
    const xrefAt = Buffer.concat(parts).length;
    const rows = [[0, 0, 0xffff], ...packed.map((_, i) => [2, 7, i]), [1, offsets[6], 0], [1, offsets[7], 0], [1, xrefAt, 0]];
    const xref = Buffer.concat(rows.map(([type, field, index]) => {
      const row = Buffer.alloc(7);
      row.writeUInt8(type, 0);
      row.writeUInt32BE(field, 1);
      row.writeUInt16BE(index, 5);
      return row;
    }));
    add(8, `<< /Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /Length ${xref.length} >>`, xref);
    parts.push(Buffer.from(`startxref\n${xrefAt}\n%%EOF\n`));
    const pdf = new Uint8Array(Buffer.concat(parts));
    expect(await unbakePdf(pdf)).toEqual({ok: true, text: json, attachment: 'credential.json'});
    if(hasPdfdetach) expect(await ourNames(pdf)).toEqual(pdfdetachNames(pdf));
  });

  it('takes the name from the name tree when the file specification has none, and an indirect /Length defined later', async () => {
    const pdf = rawPdf([...catalog([['from-tree.json', 3]]),
      {num: 3, body: '<< /Type /Filespec /EF << /F 4 0 R >> >>'},
      {num: 4, body: `<< /Type /EmbeddedFile /Length 5 0 R >>\nstream\n${json}\nendstream`},
      {num: 5, body: String(enc(json).length)}]);
    expect(await unbakePdf(pdf)).toEqual({ok: true, text: json, attachment: 'from-tree.json'});
  });

  it('reads the last definition of an object (an incremental update replacing the attachment)', async () => {
    const first = rawPdf([...catalog([['credential.json', 3]]),
      {num: 3, body: '<< /Type /Filespec /F (credential.json) /EF << /F 4 0 R >> >>'},
      {num: 4, dict: '<< /Type /EmbeddedFile >>', stream: enc(json)}]);
    const update = enc(`4 0 obj\n<< /Type /EmbeddedFile /Length ${enc(otherJson).length} >>\nstream\n${otherJson}\nendstream\nendobj\n%%EOF\n`);
    expect(await unbakePdf(new Uint8Array([...first, ...update]))).toMatchObject({ok: true, text: otherJson});
  });

  it('refuses an attachment in a filter it does not decode: PDF_UNSUPPORTED_FILTER', async () => {
    const hex = Buffer.from(json).toString('hex');
    const pdf = rawPdf([...catalog([['credential.json', 3]]), {num: 3, body: '<< /Type /Filespec /F (credential.json) /EF << /F 4 0 R >> >>'},
      {num: 4, dict: '<< /Type /EmbeddedFile /Filter /ASCIIHexDecode >>', stream: enc(`${hex}>`)}]);
    expect(await unbakePdf(pdf)).toMatchObject({ok: false, problem: {code: 'PDF_UNSUPPORTED_FILTER', message: expect.stringContaining('ASCIIHexDecode')}});
  });

  it('refuses absurd nesting without overflowing the stack', async () => {
    const deep = '['.repeat(100_000);
    const pdf = rawPdf([...catalog([]), {num: 3, body: deep}]);
    expect(await problemOf(pdf)).toBe('PDF_NO_CREDENTIAL');
  });
});
