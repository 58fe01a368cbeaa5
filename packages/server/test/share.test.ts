/**
 * Share links (pages/share.ts): LinkedIn "Add to profile" — exact parameter order,
 * encoding, UTC year and unpadded month, expiry only when there is one,
 * organizationId over organizationName — and the share, mail and embed helpers.
 */
import {describe, expect, it} from 'vitest';
import {credentialIdSegment, embedSnippet, linkedInAddToProfileUrl, linkedInShareUrl, mailtoUrl, utcYearMonth, xShareUrl} from '../src/pages/share.js';

const BASE = {
  name: 'Teamwork',
  organizationName: 'Acme Academy',
  validFrom: '2026-03-01T12:00:00Z',
  certUrl: 'https://laurel.test/c/AbC_123-xyz',
  certId: 'AbC_123-xyz',
};

/** [key, value] pairs in order, decoded. */
const params = (url: string) => [...new URL(url).searchParams.entries()];

describe('linkedInAddToProfileUrl', () => {
  it('builds exactly the documented URL, in order, with organizationId', () => {
    const url = linkedInAddToProfileUrl({...BASE, organizationId: '1337', validUntil: '2028-11-30T00:00:00Z'});
    expect(url).toBe('https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Teamwork&organizationId=1337'
      + '&issueYear=2026&issueMonth=3&expirationYear=2028&expirationMonth=11'
      + '&certUrl=https%3A%2F%2Flaurel.test%2Fc%2FAbC_123-xyz&certId=AbC_123-xyz');
  });

  it('falls back to organizationName (the issuer) without a LinkedIn id, and never sends both', () => {
    for(const organizationId of [undefined, null, '', '  ']) {
      const p = params(linkedInAddToProfileUrl({...BASE, organizationId}));
      expect(p.map(([k]) => k)).toEqual(['startTask', 'name', 'organizationName', 'issueYear', 'issueMonth', 'certUrl', 'certId']);
      expect(Object.fromEntries(p).organizationName).toBe('Acme Academy');
    }
    const withId = params(linkedInAddToProfileUrl({...BASE, organizationId: '42'})).map(([k]) => k);
    expect(withId).toContain('organizationId');
    expect(withId).not.toContain('organizationName');
  });

  it('has no expiration parameters when the credential does not expire', () => {
    for(const validUntil of [undefined, null]) {
      const url = linkedInAddToProfileUrl({...BASE, validUntil});
      expect(url).not.toContain('expiration');
    }
  });

  it('writes months 1–12 unpadded', () => {
    const jan = Object.fromEntries(params(linkedInAddToProfileUrl({...BASE, validFrom: '2026-01-15T00:00:00Z', validUntil: '2027-09-01T00:00:00Z'})));
    expect(jan).toMatchObject({issueYear: '2026', issueMonth: '1', expirationYear: '2027', expirationMonth: '9'});
    const url = linkedInAddToProfileUrl({...BASE, validFrom: '2026-12-31T23:59:59Z'});
    expect(url).toContain('&issueYear=2026&issueMonth=12&');
    expect(url).not.toMatch(/Month=0/);
  });

  it('takes the month in UTC: 2026-01-31T23:30:00-05:00 is February', () => {
    const p = Object.fromEntries(params(linkedInAddToProfileUrl({...BASE, validFrom: '2026-01-31T23:30:00-05:00',
      validUntil: '2026-12-31T20:00:00-08:00'})));
    expect(p).toMatchObject({issueYear: '2026', issueMonth: '2', expirationYear: '2027', expirationMonth: '1'});
    // And the other way: east of UTC, 1 March 00:30 +02:00 is still February in UTC.
    expect(utcYearMonth('2026-03-01T00:30:00+02:00')).toEqual({year: 2026, month: 2});
  });

  it('URL-encodes every value (spaces as %20, &, =, #, +, quotes, non-ASCII)', () => {
    const url = linkedInAddToProfileUrl({...BASE, name: 'R&D: 100% "Safety" + Ops #1 = Åsa’s',
      organizationName: 'Skåne Läns Akademi & Co', certUrl: 'https://certs.example.edu/c/x?y=1&z=2', certId: 'a/b'});
    const query = url.split('?')[1];
    expect(query).toBe('startTask=CERTIFICATION_NAME'
      + '&name=R%26D%3A%20100%25%20%22Safety%22%20%2B%20Ops%20%231%20%3D%20%C3%85sa%E2%80%99s'
      + '&organizationName=Sk%C3%A5ne%20L%C3%A4ns%20Akademi%20%26%20Co'
      + '&issueYear=2026&issueMonth=3'
      + '&certUrl=https%3A%2F%2Fcerts.example.edu%2Fc%2Fx%3Fy%3D1%26z%3D2&certId=a%2Fb');
    // Nothing unencoded that would split a parameter.
    for(const part of query.split('&')) expect(part.split('=')).toHaveLength(2);
    expect(Object.fromEntries(params(url)).name).toBe('R&D: 100% "Safety" + Ops #1 = Åsa’s');
  });

  it('leaves out dates it cannot read rather than sending NaN', () => {
    const url = linkedInAddToProfileUrl({...BASE, validFrom: 'not a date', validUntil: 'never'});
    expect(url).not.toContain('NaN');
    expect(url).not.toContain('issueYear');
    expect(url).not.toContain('expirationYear');
  });
});

describe('other share links', () => {
  const page = 'https://laurel.test/c/AbC?x=1&y=2';

  it('LinkedIn share-offsite carries only the page URL', () => {
    expect(linkedInShareUrl(page)).toBe('https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Flaurel.test%2Fc%2FAbC%3Fx%3D1%26y%3D2');
  });

  it('X intent carries text and url, both encoded', () => {
    expect(xShareUrl('I did it & more #win', page))
      .toBe('https://twitter.com/intent/tweet?text=I%20did%20it%20%26%20more%20%23win&url=https%3A%2F%2Flaurel.test%2Fc%2FAbC%3Fx%3D1%26y%3D2');
  });

  it('mailto has an encoded subject and body and no recipient (RFC 6068)', () => {
    const url = mailtoUrl('My credential: R&D', `Line one\nSee ${page}`);
    expect(url).toBe('mailto:?subject=My%20credential%3A%20R%26D&body=Line%20one%0ASee%20https%3A%2F%2Flaurel.test%2Fc%2FAbC%3Fx%3D1%26y%3D2');
  });

  it('credentialIdSegment takes the last path segment', () => {
    expect(credentialIdSegment('https://laurel.test/c/AbC_1-2')).toBe('AbC_1-2');
    expect(credentialIdSegment('https://certs.example.edu/c/Zz/')).toBe('Zz');
  });

  it('embedSnippet escapes the title and the URL', () => {
    const snippet = embedSnippet('https://laurel.test/c/A/embed?a=1&b=2', '"><script>alert(1)</script>');
    expect(snippet).toBe('<iframe src="https://laurel.test/c/A/embed?a=1&amp;b=2" width="400" height="220" '
      + 'title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" style="border:0;max-width:100%" loading="lazy" '
      + 'referrerpolicy="strict-origin-when-cross-origin"></iframe>');
  });
});
