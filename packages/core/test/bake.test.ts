import fc from 'fast-check';
import {PNG} from 'pngjs';
import {beforeAll, describe, expect, it} from 'vitest';
import {BakeError, bakePng, bakeSvg, pngChunk} from '../src/bake.js';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {resolveDidKey} from '../src/did.js';
import {signCredential} from '../src/sign.js';
import {crc32, OB3_NAMESPACE, PNG_SIGNATURE, unbakePng, unbakeSvg} from '../src/unbake.js';
import {signVcJwt, verifyVcJwt} from '../src/vc-jose.js';
import {verifyCredential, type VerifyPorts} from '../src/verify.js';
import {randomDidKey, sampleCredentialInput} from './helpers.js';

const canonicalizer = new Canonicalizer(createDocumentLoader());
const ports: VerifyPorts = {canonicalizer, resolveController: resolveDidKey, now: () => new Date('2026-01-01T00:00:00Z')};

/** A small real image (pngjs), 3×2 gold pixels. */
function plainPng(): Uint8Array {
  const png = new PNG({width: 3, height: 2});
  for(let i = 0; i < png.data.length; i += 4) png.data.set([212, 175, 55, 255], i);
  return new Uint8Array(PNG.sync.write(png));
}

/** The chunk types of a PNG, in order. */
function chunkTypes(png: Uint8Array): string[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const types: string[] = [];
  for(let at = 8; at + 12 <= png.length; at += 12 + view.getUint32(at)) types.push(String.fromCharCode(...png.subarray(at + 4, at + 8)));
  return types;
}

const SVG = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a badge -->
<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4" viewBox="0 0 4 4">
  <rect width="4" height="4" fill="#d4af37"/>
</svg>
`;

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch(error) {
    return error instanceof BakeError ? error.code : `not a BakeError: ${(error as Error).message}`;
  }
  return 'no error';
};

let json: string, trickyJson: string, jwt: string;

beforeAll(async () => {
  const key = randomDidKey();
  const sign = async (name: string) => JSON.stringify(await signCredential(
    buildAchievementCredential(sampleCredentialInput(key.did, {recipient: {name, email: 'ada@example.com'}})),
    key.signer, '2025-01-01T00:00:00Z', canonicalizer), null, 2);
  json = await sign('Ada Lovelace');
  // A recipient name that would end a CDATA section, open an element and start an entity: signed as is.
  trickyJson = await sign('Ada ]]></openbadges:credential><x>&amp; ]]]]> \u202eevil\u202c 🎓');
  jwt = await signVcJwt(buildAchievementCredential(sampleCredentialInput(key.did)) as unknown as Record<string, unknown>,
    {kid: key.vmId, alg: 'EdDSA', sign: key.signer.sign}, new Date('2025-01-01T00:00:00Z'));
});

describe('bakePng', () => {
  it('bakes a signed credential that unbakes exactly and still verifies', async () => {
    const baked = bakePng(plainPng(), json);
    expect(unbakePng(baked)).toEqual({ok: true, text: json});
    const result = await verifyCredential(JSON.parse(json), ports);
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    const unbaked = unbakePng(baked);
    expect(unbaked.ok && (await verifyCredential(JSON.parse(unbaked.text), ports)).verified).toBe(true);
  });

  it('puts one uncompressed iTXt chunk right after IHDR, with a correct CRC, and leaves a valid image', () => {
    const original = plainPng();
    const baked = bakePng(original, json);
    expect(chunkTypes(baked)).toEqual(['IHDR', 'iTXt', ...chunkTypes(original).slice(1)]);
    const view = new DataView(baked.buffer, baked.byteOffset, baked.byteLength);
    const ihdrEnd = 8 + 12 + view.getUint32(8);
    const length = view.getUint32(ihdrEnd);
    const data = baked.subarray(ihdrEnd + 8, ihdrEnd + 8 + length);
    // keyword\0, compression flag 0, method 0, empty language tag, empty translated keyword, then the UTF-8 text.
    const header = new TextEncoder().encode('openbadgecredential\0\0\0\0\0');
    expect(data.subarray(0, header.length)).toEqual(header);
    expect(new TextDecoder().decode(data.subarray(header.length))).toBe(json);
    expect(view.getUint32(ihdrEnd + 8 + length)).toBe(crc32(baked.subarray(ihdrEnd + 4, ihdrEnd + 8 + length)));
    const image = PNG.sync.read(Buffer.from(baked));
    expect([image.width, image.height]).toEqual([3, 2]);
    // The input is not changed.
    expect(original).toEqual(plainPng());
  });

  it('replaces an earlier credential when baking again (one chunk, the new text)', () => {
    const twice = bakePng(bakePng(plainPng(), json), '{"b":2}');
    expect(chunkTypes(twice).filter(t => t === 'iTXt')).toHaveLength(1);
    expect(unbakePng(twice)).toEqual({ok: true, text: '{"b":2}'});
  });

  it('keeps other text chunks', () => {
    const comment = pngChunk('tEXt', new TextEncoder().encode('Comment\0hello'));
    const png = plainPng();
    const withComment = new Uint8Array([...png.subarray(0, png.length - 12), ...comment, ...png.subarray(png.length - 12)]);
    expect(chunkTypes(bakePng(withComment, json))).toContain('tEXt');
  });

  it('refuses what is not a sound PNG, with codes', () => {
    const png = plainPng();
    expect(codeOf(() => bakePng(new TextEncoder().encode(json), json))).toBe('NOT_PNG');
    expect(() => bakePng(new Uint8Array(10), 'x')).toThrow(/not a PNG/);
    expect(codeOf(() => bakePng(png.subarray(0, png.length - 5), json))).toBe('PNG_MALFORMED');
    const flipped = png.slice();
    flipped[20] ^= 0x01; // inside IHDR's data
    expect(codeOf(() => bakePng(flipped, json))).toBe('PNG_BAD_CRC');
    const noIhdr = new Uint8Array([...PNG_SIGNATURE, ...pngChunk('IEND', new Uint8Array())]);
    expect(codeOf(() => bakePng(noIhdr, json))).toBe('PNG_MALFORMED');
    expect(codeOf(() => bakePng(new Uint8Array(10 * 1024 * 1024 + 1), json))).toBe('IMAGE_TOO_LARGE');
  });

  it('refuses credential text that would not read back: empty, or a lone surrogate', () => {
    expect(codeOf(() => bakePng(plainPng(), '  '))).toBe('CREDENTIAL_EMPTY');
    expect(codeOf(() => bakePng(plainPng(), '{"a":"\ud800"}'))).toBe('CREDENTIAL_NOT_UNICODE');
  });
});

describe('bakeSvg', () => {
  it('bakes a signed credential that unbakes exactly and still verifies', async () => {
    const baked = bakeSvg(SVG, json);
    const unbaked = unbakeSvg(baked);
    expect(unbaked).toEqual({ok: true, text: json});
    expect(unbaked.ok && (await verifyCredential(JSON.parse(unbaked.text), ports)).verified).toBe(true);
  });

  it('declares the namespace on the root and makes the credential its first child, keeping every other byte', () => {
    const baked = bakeSvg(SVG, '{"a":1}');
    expect(baked).toBe(SVG.replace('viewBox="0 0 4 4">',
      `viewBox="0 0 4 4" xmlns:openbadges="${OB3_NAMESPACE}"><openbadges:credential><![CDATA[{"a":1}]]></openbadges:credential>`));
  });

  it('splits every ]]> across CDATA sections (§5.3.2): a recipient name cannot break out', async () => {
    expect(trickyJson).toContain(']]></openbadges:credential>');
    const baked = bakeSvg(SVG, trickyJson);
    expect(baked).toContain(']]]]><![CDATA[>');
    expect(baked.match(/<openbadges:credential>/g)).toHaveLength(1);
    const unbaked = unbakeSvg(baked);
    expect(unbaked).toEqual({ok: true, text: trickyJson});
    expect(unbaked.ok && (await verifyCredential(JSON.parse(unbaked.text), ports)).verified).toBe(true);
  });

  it('bakes a VC-JWT into the verify attribute, with no content (OB 3.0 §5.3.2.1)', async () => {
    const baked = bakeSvg(SVG, jwt);
    expect(baked).toContain(`<openbadges:credential verify="${jwt}"></openbadges:credential>`);
    const unbaked = unbakeSvg(baked);
    expect(unbaked).toEqual({ok: true, text: jwt});
    expect(unbaked.ok && (await verifyVcJwt(unbaked.text, ports)).verified).toBe(true);
  });

  it('keeps an existing declaration, and replaces an earlier credential in any prefix', () => {
    const declared = SVG.replace('<svg ', `<svg xmlns:openbadges="${OB3_NAMESPACE}" `);
    const once = bakeSvg(declared, '{"a":1}');
    expect(once.match(/xmlns:openbadges=/g)).toHaveLength(1);
    const twice = bakeSvg(once, jwt);
    expect(twice.match(/openbadges:credential/g)).toHaveLength(2); // one start tag and one end tag
    expect(unbakeSvg(twice)).toEqual({ok: true, text: jwt});
    const otherPrefix = SVG.replace('<rect', `<ob:credential xmlns:ob="${OB3_NAMESPACE}"><![CDATA[{"old":1}]]></ob:credential><rect`);
    const rebaked = bakeSvg(otherPrefix, '{"new":1}');
    expect(rebaked).not.toContain('ob:credential');
    expect(unbakeSvg(rebaked)).toEqual({ok: true, text: '{"new":1}'});
  });

  it('bakes a self-closing root, and an Open Badges 2.0 image without touching its assertion', () => {
    const empty = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>';
    const baked = bakeSvg(empty, '{"a":1}');
    expect(baked).toBe(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1" xmlns:openbadges="${OB3_NAMESPACE}">` +
      '<openbadges:credential><![CDATA[{"a":1}]]></openbadges:credential></svg>');
    const ob2 = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="https://x.example/a"/></svg>';
    const both = bakeSvg(ob2, '{"a":1}');
    expect(both).toContain('<openbadges:assertion verify="https://x.example/a"/>');
    expect(both).toContain(`<openbadges:credential xmlns:openbadges="${OB3_NAMESPACE}">`);
    expect(unbakeSvg(both)).toEqual({ok: true, text: '{"a":1}'});
  });

  it('carries line-end characters that XML parsers normalize (CR, NEL, U+2028, U+2029) as character references', () => {
    const text = '{\r\n"a": "]]>\r\u0085\u2028\u2029"}';
    expect(unbakeSvg(bakeSvg(SVG, text))).toEqual({ok: true, text});
  });

  it('refuses what is not a sound SVG, and text XML cannot carry, with codes', () => {
    expect(codeOf(() => bakeSvg('<svg><g></svg>', json))).toBe('SVG_MALFORMED');
    expect(codeOf(() => bakeSvg('<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', json))).toBe('SVG_DTD_REFUSED');
    expect(codeOf(() => bakeSvg('<html xmlns="http://www.w3.org/1999/xhtml"/>', json))).toBe('NOT_SVG');
    expect(codeOf(() => bakeSvg(SVG, '{"a":"\uffff"}'))).toBe('CREDENTIAL_NOT_XML_TEXT');
    expect(codeOf(() => bakeSvg(SVG, ''))).toBe('CREDENTIAL_EMPTY');
    expect(codeOf(() => bakeSvg(SVG, '{"a":"\udc00"}'))).toBe('CREDENTIAL_NOT_UNICODE');
  });
});

describe('round trip (property)', () => {
  // Pieces that have broken bakers: CDATA ends, markup, entities, an emoji, bidi controls, a BOM, U+2028.
  const tricky = fc.constantFrom(']]>', ']]', ']', '>', '<', '&', '&amp;', '<![CDATA[', '"', '\\', '🎓', '\u202e', '\u202c', '\u200f',
    '\u061c', '\ufeff', '\u2028', 'é', '\t', '\n');
  const trickyString = fc.array(fc.oneof(tricky, fc.string({unit: 'grapheme'})), {maxLength: 12}).map(parts => parts.join(''));
  const jsonText = fc.oneof(
    fc.json({stringUnit: 'grapheme'}),
    fc.json({stringUnit: 'binary'}),
    fc.dictionary(trickyString, trickyString).map(o => JSON.stringify(o)),
    fc.tuple(trickyString, fc.nat()).map(([name, n]) => JSON.stringify({credentialSubject: {name}, n}, null, n % 3)),
  ).filter(s => !/[\ufffe\uffff]/.test(s)); // not XML characters: bakeSvg refuses them (tested above)
  const png = plainPng();

  it('unbakePng(bakePng(png, s)) === s and unbakeSvg(bakeSvg(svg, s)) === s for any JSON text', () => {
    fc.assert(fc.property(jsonText, s => {
      expect(unbakePng(bakePng(png, s))).toEqual({ok: true, text: s});
      expect(unbakeSvg(bakeSvg(SVG, s))).toEqual({ok: true, text: s});
    }), {numRuns: 300});
  });
});
