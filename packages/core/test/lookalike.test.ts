import {describe, expect, it} from 'vitest';
import {checkIssuerDomain, issuerDomainOf} from '../src/lookalike.js';

// Look-alike characters are written as escapes so the fixtures can be read in any editor.
// Punycode forms were computed with punycode.js 2.3.1 toASCII and are cross-checked below.
const CYR_A = '\u0430'; // CYRILLIC SMALL LETTER A, looks like 'a'
const GREEK_OMICRON = '\u03BF'; // looks like 'o'

describe('issuerDomainOf', () => {
  it('returns the host of a did:web with a path', () => {
    expect(issuerDomainOf('did:web:certs.example.edu:issuers:x')).toBe('certs.example.edu');
  });

  it('removes a percent-encoded port', () => {
    expect(issuerDomainOf('did:web:localhost%3A3000')).toBe('localhost');
    expect(issuerDomainOf('did:web:certs.example.edu%3a8443:issuers:x')).toBe('certs.example.edu');
  });

  it('lower-cases and drops a trailing dot', () => {
    expect(issuerDomainOf('did:web:Certs.EXAMPLE.edu.')).toBe('certs.example.edu');
  });

  it('percent-decodes a Unicode host and keeps its look-alike characters for the check', () => {
    expect(issuerDomainOf(`did:web:${encodeURIComponent(`ex${CYR_A}mple.edu`)}`)).toBe(`ex${CYR_A}mple.edu`);
  });

  it('ignores a DID URL fragment', () => {
    expect(issuerDomainOf('did:web:example.com#key-1')).toBe('example.com');
  });

  it('returns null for anything that is not a well-formed did:web', () => {
    expect(issuerDomainOf('did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp')).toBeNull();
    expect(issuerDomainOf('https://example.com')).toBeNull();
    expect(issuerDomainOf('did:web:')).toBeNull();
    expect(issuerDomainOf('did:web:%E0%A4%A')).toBeNull();
    expect(issuerDomainOf('did:web:a..b')).toBeNull();
    expect(issuerDomainOf('did:web:evil.com%2Fgood.com')).toBeNull();
    expect(issuerDomainOf(42 as unknown as string)).toBeNull();
  });
});

describe('checkIssuerDomain', () => {
  it('passes a plain ASCII domain', () => {
    const r = checkIssuerDomain('certs.example.edu');
    expect(r).toMatchObject({code: 'ISSUER_DOMAIN_OK', status: 'passed', domain: 'certs.example.edu', unicode: 'certs.example.edu'});
  });

  it('lower-cases and drops a trailing dot', () => {
    expect(checkIssuerDomain('Certs.Example.EDU.')).toMatchObject({code: 'ISSUER_DOMAIN_OK', domain: 'certs.example.edu'});
  });

  it('warns on a Cyrillic whole-script confusable given as punycode (аррӏе.com)', () => {
    const r = checkIssuerDomain('xn--80ak6aa92e.com');
    expect(r.code).toBe('ISSUER_DOMAIN_LOOKALIKE');
    expect(r.status).toBe('warning');
    expect(r.unicode).toBe('\u0430\u0440\u0440\u04CF\u0435.com');
    expect(r.message).toContain('Cyrillic');
  });

  it('warns on a Cyrillic whole-script confusable given in Unicode, upper case', () => {
    expect(checkIssuerDomain('\u0410\u0420\u0420\u04C0\u0415.COM').code).toBe('ISSUER_DOMAIN_LOOKALIKE');
    expect(checkIssuerDomain('XN--80AK6AA92E.COM.')).toMatchObject({code: 'ISSUER_DOMAIN_LOOKALIKE', domain: 'xn--80ak6aa92e.com'});
  });

  it('warns on a Latin label with one Cyrillic letter (exаmple)', () => {
    const r = checkIssuerDomain(`certs.ex${CYR_A}mple.edu`);
    expect(r.code).toBe('ISSUER_DOMAIN_LOOKALIKE');
    expect(r.message).toBe(`The issuer's domain certs.ex${CYR_A}mple.edu contains characters that look like other letters ` +
      `(Cyrillic '${CYR_A}'); make sure it is the organisation you expect.`);
  });

  it('warns on the same label in punycode', () => {
    const r = checkIssuerDomain('certs.xn--exmple-4nf.edu');
    expect(r).toMatchObject({code: 'ISSUER_DOMAIN_LOOKALIKE', unicode: `certs.ex${CYR_A}mple.edu`});
  });

  it('warns on a Greek omicron in a Latin label (micrοsoft)', () => {
    const r = checkIssuerDomain(`micr${GREEK_OMICRON}soft.com`);
    expect(r.code).toBe('ISSUER_DOMAIN_LOOKALIKE');
    expect(r.message).toContain(`Greek '${GREEK_OMICRON}'`);
    expect(checkIssuerDomain('xn--micrsoft-2dg.com').code).toBe('ISSUER_DOMAIN_LOOKALIKE');
  });

  it('warns on a zero-width space', () => {
    const r = checkIssuerDomain('pay\u200Bpal.com');
    expect(r.code).toBe('ISSUER_DOMAIN_LOOKALIKE');
    expect(r.message).toContain('U+200B');
    expect(r.message).toContain('pay[U+200B]pal.com');
    expect(checkIssuerDomain('xn--paypal-df0c.com').code).toBe('ISSUER_DOMAIN_LOOKALIKE');
  });

  it('warns on a zero-width joiner', () => {
    expect(checkIssuerDomain('pay\u200Dpal.com').code).toBe('ISSUER_DOMAIN_LOOKALIKE');
  });

  it('warns on a word joiner and a bidi control', () => {
    expect(checkIssuerDomain('pay\u2060pal.com').code).toBe('ISSUER_DOMAIN_LOOKALIKE');
    expect(checkIssuerDomain('\u202Eexample.com').code).toBe('ISSUER_DOMAIN_LOOKALIKE');
  });

  it('warns on a Latin label built only from ASCII look-alikes (ɡoogle with U+0261)', () => {
    const r = checkIssuerDomain('xn--oogle-qmc.com');
    expect(r).toMatchObject({code: 'ISSUER_DOMAIN_LOOKALIKE', unicode: '\u0261oogle.com'});
  });

  it('warns on a punycode label that does not decode', () => {
    expect(checkIssuerDomain('xn--a\u00FF.com').code).toBe('ISSUER_DOMAIN_LOOKALIKE');
  });

  it('passes a genuine Cyrillic domain (пример.рф)', () => {
    const r = checkIssuerDomain('xn--e1afmkfd.xn--p1ai');
    expect(r).toMatchObject({code: 'ISSUER_DOMAIN_OK', status: 'passed', unicode: 'пример.рф'});
    expect(checkIssuerDomain('пример.рф').code).toBe('ISSUER_DOMAIN_OK');
  });

  it('passes Latin with diacritics (münchen.de)', () => {
    expect(checkIssuerDomain('xn--mnchen-3ya.de')).toMatchObject({code: 'ISSUER_DOMAIN_OK', unicode: 'münchen.de'});
  });

  it('passes Han + Hiragana (例え.jp)', () => {
    expect(checkIssuerDomain('xn--r8jz45g.jp')).toMatchObject({code: 'ISSUER_DOMAIN_OK', unicode: '例え.jp'});
  });

  it('passes Latin + Han, allowed by the Highly Restrictive profile (abc中文.com)', () => {
    expect(checkIssuerDomain('xn--abc-x68do18h.com')).toMatchObject({code: 'ISSUER_DOMAIN_OK', unicode: 'abc中文.com'});
  });

  it('passes Han + Hangul, and Korean digits and hyphens', () => {
    expect(checkIssuerDomain('한국-大學2.kr').code).toBe('ISSUER_DOMAIN_OK');
  });

  it('warns on Latin + Hangul + Hiragana, which no allowed combination covers', () => {
    expect(checkIssuerDomain('a한え.com').code).toBe('ISSUER_DOMAIN_LOOKALIKE');
  });
});
