/**
 * Share links for a credential page: LinkedIn "Add to profile" and share, X, email,
 * and the embed snippet. Pure functions; every value is URL-encoded with
 * encodeURIComponent (RFC 3986: a space is %20, never "+").
 */
import {escapeHtml} from './html.js';

/** What LinkedIn's "Add license or certification" form is prefilled with. */
export interface LinkedInCertification {
  /** The achievement's name. */
  name: string;
  /** The issuing organization's LinkedIn numeric id, when the issuer set one. */
  organizationId?: string | null;
  /** The issuer's name: sent when there is no organizationId. */
  organizationName: string;
  /** The credential's `validFrom` (issue date). */
  validFrom: string;
  /** The credential's `validUntil`, if it expires. */
  validUntil?: string | null;
  /** The credential page's URL. */
  certUrl: string;
  /** The credential's id segment (the last path segment of its URL). */
  certId: string;
}

const enc = encodeURIComponent;

/** Year and month 1–12 of an instant, in UTC; null when the date cannot be read. */
export function utcYearMonth(iso: string | null | undefined): {year: number; month: number} | null {
  if(!iso) return null;
  const d = new Date(iso);
  if(Number.isNaN(d.getTime())) return null;
  return {year: d.getUTCFullYear(), month: d.getUTCMonth() + 1};
}

/**
 * LinkedIn "Add to profile" (https://addtoprofile.linkedin.com/):
 * `https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=…&organizationId=…&issueYear=…&issueMonth=…
 * &expirationYear=…&expirationMonth=…&certUrl=…&certId=…`. Dates are the UTC year and
 * unpadded month; the expiration only when the credential expires; `organizationName`
 * replaces `organizationId` when the issuer has no LinkedIn id.
 */
export function linkedInAddToProfileUrl(c: LinkedInCertification): string {
  const params: [string, string][] = [['startTask', 'CERTIFICATION_NAME'], ['name', c.name]];
  const orgId = c.organizationId?.trim();
  params.push(orgId ? ['organizationId', orgId] : ['organizationName', c.organizationName]);
  const issued = utcYearMonth(c.validFrom);
  if(issued) params.push(['issueYear', String(issued.year)], ['issueMonth', String(issued.month)]);
  const expires = utcYearMonth(c.validUntil);
  if(expires) params.push(['expirationYear', String(expires.year)], ['expirationMonth', String(expires.month)]);
  params.push(['certUrl', c.certUrl], ['certId', c.certId]);
  return `https://www.linkedin.com/profile/add?${params.map(([k, v]) => `${k}=${enc(v)}`).join('&')}`;
}

/** LinkedIn share: the preview comes from the page's Open Graph tags. */
export function linkedInShareUrl(pageUrl: string): string {
  return `https://www.linkedin.com/sharing/share-offsite/?url=${enc(pageUrl)}`;
}

/** X (Twitter) web intent with text and link. */
export function xShareUrl(text: string, pageUrl: string): string {
  return `https://twitter.com/intent/tweet?text=${enc(text)}&url=${enc(pageUrl)}`;
}

/** A mailto: link with a subject and body and no recipient (RFC 6068). */
export function mailtoUrl(subject: string, body: string): string {
  return `mailto:?subject=${enc(subject)}&body=${enc(body)}`;
}

/** The last path segment of a credential URL (`https://host/c/<id>` → `<id>`). */
export function credentialIdSegment(url: string): string {
  try {
    const parts = new URL(url).pathname.split('/').filter(Boolean);
    return decodeURIComponent(parts[parts.length - 1] ?? '');
  } catch {
    return url;
  }
}

/** Default size of the embedded card. */
export const EMBED_SIZE = {width: 400, height: 220} as const;

/**
 * The `<iframe>` that embeds a credential's card (`/c/<id>/embed`). Text for a web
 * page, escaped: the title may hold any characters.
 */
export function embedSnippet(embedUrl: string, title: string, size: {width: number; height: number} = EMBED_SIZE): string {
  return `<iframe src="${escapeHtml(embedUrl)}" width="${size.width}" height="${size.height}" title="${escapeHtml(title)}" `
    + 'style="border:0;max-width:100%" loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>';
}
