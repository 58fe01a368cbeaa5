import {mkdtempSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {didKeyFromPublicKey, encodeEd25519PublicKey, signVcJwt} from '@laurel/core';
import {PNG} from 'pngjs';
import {beforeAll, describe, expect, it} from 'vitest';
import {bakePng as coreBakePng, MAX_BAKED_BYTES, OB3_NAMESPACE, pngChunk, unbakePng, unbakeSvg} from '@laurel/core';
import {didKeyIssuer, issueCredential, testKey} from './credentials.js';
import {runCli} from './run-cli.js';

// ---- helpers: a PNG chunk writer, a baker, SVG templates ----

/** One PNG chunk, from core (length, type, data, CRC). */
const chunk = (type: string, data: Uint8Array) => Buffer.from(pngChunk(type, data));

/** iTXt data: keyword\0, compression flag and method, empty language tag\0, empty translated keyword\0, UTF-8 text. */
function itxt(text: string, keyword = 'openbadgecredential', compressed = 0): Buffer {
  return Buffer.concat([Buffer.from(`${keyword}\0`, 'latin1'), Buffer.from([compressed, 0, 0, 0]), Buffer.from(text, 'utf8')]);
}

/** A small real image (pngjs), 4×4 gold pixels. */
function plainPng(): Buffer {
  const png = new PNG({width: 4, height: 4});
  for(let i = 0; i < png.data.length; i += 4) png.data.set([212, 175, 55, 255], i);
  return PNG.sync.write(png);
}

/** Inserts chunks just before IEND (the last 12 bytes of a pngjs image). */
function bakePng(extra: Buffer[], base = plainPng()): Buffer {
  return Buffer.concat([base.subarray(0, base.length - 12), ...extra, base.subarray(base.length - 12)]);
}

const bakedPng = (text: string) => bakePng([chunk('iTXt', itxt(text))]);

const svg = (inner: string, prolog = '<?xml version="1.0" encoding="UTF-8"?>\n') => `${prolog}<svg xmlns="http://www.w3.org/2000/svg"
  xmlns:openbadges="${OB3_NAMESPACE}" width="4" height="4" viewBox="0 0 4 4">
  ${inner}
  <rect width="4" height="4" fill="#d4af37"/>
</svg>
`;

/** CDATA that survives a `]]>` in the text: split it across sections. */
const cdata = (text: string) => `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
const bakedSvg = (text: string) => svg(`<openbadges:credential>${cdata(text)}</openbadges:credential>`);

const dir = mkdtempSync(join(tmpdir(), 'laurel-cli-unbake-'));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

let json: string, tamperedJson: string, trickyJson: string, jwt: string;

beforeAll(async () => {
  const credential = await issueCredential(didKeyIssuer(testKey(1)));
  json = JSON.stringify(credential, null, 2);
  tamperedJson = JSON.stringify({...credential, name: 'A Better Badge'}, null, 2);
  // A signed string holding `]]>` (and `<`, `&`): only survives CDATA when split across sections.
  const tricky = await issueCredential(didKeyIssuer(testKey(1)), 'https://laurel.test/c/2', 'Badge ]]> <x>&amp; ]]]]>');
  trickyJson = JSON.stringify(tricky);
  const key = testKey(3);
  const did = didKeyFromPublicKey(key.publicKey);
  const {proof: _proof, ...unsigned} = await issueCredential({...didKeyIssuer(key)});
  const signer = key.signerFor(`${did}#${encodeEd25519PublicKey(key.publicKey)}`);
  jwt = await signVcJwt(unsigned, {kid: signer.id, alg: 'EdDSA', sign: signer.sign}, new Date('2025-01-01T00:00:00Z'));
});

describe('unbakePng', () => {
  it('returns the iTXt text of a baked PNG', () => {
    expect(unbakePng(bakedPng(json))).toEqual({ok: true, text: json});
  });

  it('checks every CRC: a flipped byte is PNG_BAD_CRC', () => {
    const png = bakedPng(json);
    const at = png.indexOf('"name"');
    png[at + 2] ^= 0x01;
    expect(unbakePng(png)).toMatchObject({ok: false, problem: {code: 'PNG_BAD_CRC', message: expect.stringMatching(/CRC of its iTXt chunk/)}});
  });

  it('reports a PNG without the chunk as NOT_BAKED, and mentions an OB 2.0 assertion', () => {
    expect(unbakePng(plainPng())).toMatchObject({ok: false, problem: {code: 'NOT_BAKED', message: expect.stringContaining('no baked credential in this PNG')}});
    const ob2 = bakePng([chunk('iTXt', itxt('{}', 'openbadges'))]);
    expect(unbakePng(ob2)).toMatchObject({ok: false, problem: {code: 'NOT_BAKED', message: expect.stringContaining('Open Badges 2.0')}});
  });

  it('ignores other iTXt chunks and stops at IEND', () => {
    const before = chunk('iTXt', itxt('hello', 'Comment'));
    const afterIend = Buffer.concat([bakedPng('ignored'), chunk('iTXt', itxt('also ignored'))]);
    expect(unbakePng(bakePng([before, chunk('iTXt', itxt(json))]))).toEqual({ok: true, text: json});
    // A credential chunk after IEND is never read.
    expect(unbakePng(Buffer.concat([plainPng(), chunk('iTXt', itxt(json))]))).toMatchObject({ok: false, problem: {code: 'NOT_BAKED'}});
    expect(unbakePng(afterIend)).toEqual({ok: true, text: 'ignored'});
  });

  it('refuses truncation, two credentials, compression, non-PNG and oversize input', () => {
    const png = bakedPng(json);
    expect(unbakePng(png.subarray(0, png.length - 20))).toMatchObject({ok: false, problem: {code: 'PNG_MALFORMED'}});
    expect(unbakePng(bakePng([chunk('iTXt', itxt(json)), chunk('iTXt', itxt(json))]))).toMatchObject({ok: false, problem: {code: 'MULTIPLE_CREDENTIALS'}});
    expect(unbakePng(bakePng([chunk('iTXt', itxt('x', 'openbadgecredential', 1))]))).toMatchObject({ok: false, problem: {code: 'PNG_COMPRESSED_CREDENTIAL'}});
    expect(unbakePng(new TextEncoder().encode(json))).toMatchObject({ok: false, problem: {code: 'NOT_PNG'}});
    expect(unbakePng(new Uint8Array(MAX_BAKED_BYTES + 1))).toMatchObject({ok: false, problem: {code: 'IMAGE_TOO_LARGE'}});
  });
});

describe('unbakeSvg', () => {
  it('returns the credential of a baked SVG, with any prefix bound to the OB 3.0 namespace', () => {
    expect(unbakeSvg(bakedSvg(json))).toEqual({ok: true, text: json});
    const otherPrefix = `<svg xmlns="http://www.w3.org/2000/svg"><ob:credential xmlns:ob="${OB3_NAMESPACE}">${cdata(json)}</ob:credential></svg>`;
    expect(unbakeSvg(otherPrefix)).toEqual({ok: true, text: json});
  });

  it('joins CDATA sections split around ]]>, and text with \\u003e escapes parses to the same credential', () => {
    expect(trickyJson).toContain(']]>');
    expect(unbakeSvg(bakedSvg(trickyJson))).toEqual({ok: true, text: trickyJson});
    const escaped = trickyJson.replaceAll('>', '\\u003e');
    const result = unbakeSvg(svg(`<openbadges:credential><![CDATA[${escaped}]]></openbadges:credential>`));
    expect(result.ok && JSON.parse(result.text)).toEqual(JSON.parse(trickyJson));
  });

  it('refuses a DOCTYPE or ENTITY declaration without expanding it', () => {
    const laughs = svg(`<openbadges:credential>&lol3;</openbadges:credential>`,
      '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;">]>\n');
    expect(unbakeSvg(laughs)).toMatchObject({ok: false, problem: {code: 'SVG_DTD_REFUSED'}});
    const external = svg(cdata(json), '<!DOCTYPE svg SYSTEM "file:///etc/passwd">\n');
    expect(unbakeSvg(external)).toMatchObject({ok: false, problem: {code: 'SVG_DTD_REFUSED'}});
  });

  it('does not find a credential element in the wrong namespace (or none)', () => {
    const wrong = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v2p0"><openbadges:credential>${cdata(json)}</openbadges:credential></svg>`;
    expect(unbakeSvg(wrong)).toMatchObject({ok: false, problem: {code: 'NOT_BAKED', message: expect.stringContaining('no baked credential in this SVG')}});
    expect(unbakeSvg(svg(''))).toMatchObject({ok: false, problem: {code: 'NOT_BAKED'}});
  });

  it('refuses malformed XML and two credential elements', () => {
    expect(unbakeSvg('<svg><openbadges:credential>')).toMatchObject({ok: false, problem: {code: 'SVG_MALFORMED'}});
    const two = bakedSvg(json).replace('</svg>', `<openbadges:credential>${cdata(json)}</openbadges:credential></svg>`);
    expect(unbakeSvg(two)).toMatchObject({ok: false, problem: {code: 'MULTIPLE_CREDENTIALS'}});
  });
});

describe.concurrent('laurel verify <baked image>', () => {
  it('verifies a credential baked into a PNG: exit 0', async () => {
    const path = file('baked.png', bakedPng(json));
    const run = await runCli(['verify', path]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`VERIFIED: ${path}`);
  });

  it('verifies a vc+jwt baked into a PNG: exit 0', async () => {
    const run = await runCli(['verify', '--json', file('baked-jwt.png', bakedPng(jwt))]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).verified).toBe(true);
  });

  it('rejects tampered JSON in a PNG (with a correct CRC): exit 1, PROOF_VERIFICATION_ERROR', async () => {
    const run = await runCli(['verify', file('tampered.png', bakedPng(tamperedJson))]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ PROOF_VERIFICATION_ERROR /);
  });

  it('refuses a PNG with a bad CRC: exit 1, a clear message', async () => {
    const png = bakedPng(json);
    png[png.length - 12 - 1] ^= 0xff; // the last CRC byte of the iTXt chunk
    const run = await runCli(['verify', file('bad-crc.png', png)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PNG_BAD_CRC: the PNG is corrupt: the CRC of its iTXt chunk/);
  });

  it('reports a PNG without the chunk: exit 1, no baked credential', async () => {
    const run = await runCli(['verify', file('plain.png', plainPng())]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no baked credential in this PNG/);
  });

  it('verifies a credential baked into an SVG, ]]> split across CDATA sections: exit 0', async () => {
    const run = await runCli(['verify', file('tricky.svg', bakedSvg(trickyJson))]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ PROOF_VALID /);
  });

  it('rejects tampered JSON in an SVG: exit 1, PROOF_VERIFICATION_ERROR', async () => {
    const run = await runCli(['verify', file('tampered.svg', bakedSvg(tamperedJson))]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ PROOF_VERIFICATION_ERROR /);
  });

  it('refuses an SVG with a DOCTYPE/ENTITY: exit 1', async () => {
    const laughs = svg(`<openbadges:credential>&lol2;</openbadges:credential>`,
      '<!DOCTYPE svg [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n');
    const run = await runCli(['verify', file('laughs.svg', laughs)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/SVG_DTD_REFUSED: the SVG has a DOCTYPE declaration/);
  });

  it('does not find a credential element in the wrong namespace: exit 1', async () => {
    const wrong = bakedSvg(json).replace(OB3_NAMESPACE, 'http://openbadges.org');
    const run = await runCli(['verify', file('wrong-ns.svg', wrong)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no baked credential in this SVG/);
  });

  it('verifies baked PNG and SVG badges fetched by URL: exit 0', async () => {
    const bodies: Record<string, [string, string | Buffer]> = {'/b.png': ['image/png', bakedPng(json)], '/b.svg': ['image/svg+xml', bakedSvg(json)]};
    const server = createServer((req, res) => {
      const body = bodies[req.url ?? ''];
      if(body) res.writeHead(200, {'content-type': body[0]}).end(body[1]);
      else res.writeHead(404).end();
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const [png, svgRun] = await Promise.all([runCli(['verify', `${base}/b.png`, '--allow-http']), runCli(['verify', `${base}/b.svg`, '--allow-http'])]);
      expect([png.code, png.stderr]).toEqual([0, '']);
      expect([svgRun.code, svgRun.stderr]).toEqual([0, '']);
    } finally {
      server.close();
    }
  });
});

describe('bakePng (core)', () => {
  it('bakes text that unbakes exactly, and replaces an earlier credential', async () => {
    const {PNG} = await import('pngjs');
    const image = new PNG({width: 2, height: 2});
    const png = PNG.sync.write(image);
    const once = coreBakePng(png, '{"a":"é ]]> \\u003e"}');
    expect(unbakePng(once)).toEqual({ok: true, text: '{"a":"é ]]> \\u003e"}'});
    const twice = coreBakePng(once, '{"b":2}');
    expect(unbakePng(twice)).toEqual({ok: true, text: '{"b":2}'});
    // Still a valid image.
    expect(PNG.sync.read(Buffer.from(twice)).width).toBe(2);
    expect(() => coreBakePng(new Uint8Array(10), 'x')).toThrow(/not a PNG/);
  });
});
