/**
 * An issuer's public page, /issuers/<slug> (and / on its own domain): its profile,
 * its active achievements, and how to verify its credentials (DID, DID document,
 * signing keys with their validity windows).
 */
import type {Achievement} from '@laurel/core';
import {html, layout, type SafeHtml, safeUrl, tHtml} from './html.js';
import {DEFAULT_LOCALE, formatDate, type Locale, t} from './i18n.js';
import {themeFor} from './theme.js';

/** A signing key as the DID document publishes it. */
export interface IssuerKey {
  /** The verification method id (DID URL). */
  id: string;
  validFrom?: string;
  validUntil?: string;
}

/** What the issuer page shows. */
export interface IssuerPageData {
  name: string;
  url?: string | null;
  logo?: string | null;
  description?: string | null;
  brandColor?: string | null;
  brandSecondaryColor?: string | null;
  /** The issuer's DIDs (did:web: one; did:key: one per key). */
  dids: string[];
  /** The DID document's URL (did:web), if any. */
  didDocumentUrl?: string | null;
  keys: IssuerKey[];
  /** Active achievements and the URL of each one's page. */
  achievements: {achievement: Achievement; pageUrl: string}[];
}

/** The branded header band: logo and name. */
export function issuerHeader(name: string, logo?: string | null, href?: string): SafeHtml {
  return html`${logo ? html`<img src="${safeUrl(logo)}" alt="" width="120" height="40">` : ''}${href ? html`<a href="${href}"><bdi>${name}</bdi></a>` : html`<bdi>${name}</bdi>`}`;
}

/** Renders the page. */
export function renderIssuerPage(d: IssuerPageData, options: {locale?: Locale; nonce?: string; pageUrl?: string} = {}): string {
  const locale = options.locale ?? DEFAULT_LOCALE;
  const head = html`<meta name="description" content="${d.name}">
${options.pageUrl ? html`<link rel="canonical" href="${options.pageUrl}">` : ''}
<meta property="og:title" content="${d.name}">
<meta property="og:type" content="profile">
${options.pageUrl ? html`<meta property="og:url" content="${options.pageUrl}">` : ''}
${d.logo ? html`<meta property="og:image" content="${safeUrl(d.logo)}">` : ''}`;
  const body = html`
<section class="card" aria-labelledby="title">
  <h1 id="title"><bdi>${d.name}</bdi></h1>
  ${d.description ? html`<p>${d.description}</p>` : ''}
  ${d.url ? html`<p>${t(locale, 'issuer.website')}: <a href="${safeUrl(d.url)}" rel="noopener" data-testid="issuer-url">${d.url}</a></p>` : ''}
</section>
<section class="card" aria-labelledby="achievements">
  <h2 id="achievements">${t(locale, 'issuer.achievements')}</h2>
  ${d.achievements.length ? html`<ul class="plain" data-testid="achievements">
    ${d.achievements.map(({achievement: a, pageUrl}) => html`<li><a href="${pageUrl}"><bdi>${a.name}</bdi></a>${a.achievementType ? html` <span class="muted">· ${a.achievementType}</span>` : ''}<br><span class="muted">${a.description}</span></li>`)}
  </ul>` : html`<p class="muted">${t(locale, 'issuer.noAchievements')}</p>`}
</section>
<section class="card" aria-labelledby="verification">
  <h2 id="verification">${t(locale, 'issuer.verification')}</h2>
  <dl>
    <dt>${t(locale, 'issuer.did')}</dt><dd>${d.dids.map(did => html`<div><code data-testid="did">${did}</code></div>`)}</dd>
    ${d.didDocumentUrl ? html`<dt>${t(locale, 'issuer.didDocument')}</dt><dd><a href="${d.didDocumentUrl}" data-testid="did-document">${d.didDocumentUrl}</a></dd>` : ''}
  </dl>
  ${d.didDocumentUrl ? '' : html`<p class="muted">${t(locale, 'issuer.didKey')}</p>`}
  <h3 id="keys">${t(locale, 'issuer.keys')}</h3>
  <ul class="plain" aria-labelledby="keys" data-testid="keys">
    ${d.keys.map(k => html`<li><code>${k.id}</code><br><span class="muted">${t(locale, 'issuer.validFrom')}</span> ${formatDate(locale, k.validFrom) || '–'}
      · <span class="muted">${t(locale, 'issuer.validUntil')}</span> ${k.validUntil ? formatDate(locale, k.validUntil) : html`<strong>${t(locale, 'issuer.keyActive')}</strong>`}</li>`)}
  </ul>
  <p>${tHtml(locale, 'issuer.howTo', {issuer: html`<bdi>${d.name}</bdi>`, link: html`<a href="/verify">${t(locale, 'issuer.verifyLink')}</a>`})}</p>
  <p class="muted">${tHtml(locale, 'issuer.cli', {cli: html`<code>npx laurel verify credential.json</code>`})}</p>
</section>`;
  return layout(d.name, body, head, {locale, nonce: options.nonce, theme: themeFor(d.brandColor, d.brandSecondaryColor),
    header: issuerHeader(d.name, d.logo)});
}
