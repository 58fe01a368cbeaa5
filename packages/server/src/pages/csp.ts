/**
 * The Content Security Policy of every response (CSP Level 3). Scripts and style
 * elements run only with the request's nonce: no inline event handlers, no
 * `style` attributes, no eval, nothing from other origins. The embed
 * (/c/<id>/embed) is the one page other sites may frame.
 */
import {randomBytes} from 'node:crypto';

/** A fresh nonce: 128 random bits, base64 (CSP3 §2.3.1 wants at least 128 bits). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Where a page may be framed and which extra image origins it shows. */
export interface PolicyOptions {
  /** `frame-ancestors` sources; `'none'` unless the page is the embed (`*`). */
  frameAncestors?: string;
  /** Extra https origins for img-src (an issuer's logo or an achievement's image on its own site). */
  imageOrigins?: readonly string[];
}

/** An https origin of an http(s) URL, for img-src; null for anything else (no wildcards, no paths, no quotes). */
export function imageOrigin(url: string | null | undefined): string | null {
  if(!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && /^[a-z0-9.-]+(:\d+)?$/i.test(u.host) ? u.origin : null;
  } catch {
    return null;
  }
}

/** The policy text for a response with `nonce`. */
export function contentSecurityPolicy(nonce: string, options: PolicyOptions = {}): string {
  const images = [...new Set((options.imageOrigins ?? []).map(imageOrigin).filter((o): o is string => o !== null))];
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    `img-src 'self' data:${images.map(o => ` ${o}`).join('')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${options.frameAncestors ?? "'none'"}`,
  ].join('; ');
}
