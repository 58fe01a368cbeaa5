/**
 * The public credential page, /c/<id>: who issued what to whom and when, every
 * check, and everything a recipient shares it with (Open Graph and Twitter cards,
 * LinkedIn, X, email, downloads, an embed snippet). Also the page of a credential
 * its holder made private.
 */
import type {AchievementCredential, VerificationResult} from '@laurel/core';
import {renderCheckList, renderStanding, renderVerdict, type StandingDetails} from './check-list.js';
import {html, jsonScript, layout, moduleScript, type SafeHtml, safeUrl, tHtml} from './html.js';
import {DEFAULT_LOCALE, formatDate, type Locale, LOCALES, t} from './i18n.js';
import {credentialIdSegment, embedSnippet, linkedInAddToProfileUrl, linkedInShareUrl, mailtoUrl, xShareUrl} from './share.js';
import {themeFor} from './theme.js';

/** What the page needs to verify again in the visitor's browser (absent: server result only). */
export interface BrowserCheckOptions {
  /** The verifier bundle's URL (/assets/verify-<hash>.js). */
  scriptUrl: string;
  /** This instance's public host: did:web DIDs on it are read from this origin. */
  publicHost: string;
  /** The request's CSP nonce, for the script element. */
  nonce?: string;
}

/** The issuer as the page brands it (from the organization's settings). */
export interface PageIssuer {
  name: string;
  /** An http(s) logo URL. */
  logo?: string | null;
  brandColor?: string | null;
  brandSecondaryColor?: string | null;
  /** LinkedIn's numeric organization id. */
  linkedinOrganizationId?: string | null;
  /** The issuer's page on this instance (/issuers/<slug>). */
  pageUrl?: string | null;
}

/** Everything beyond the credential and its checks; all optional so older callers keep working. */
export interface CredentialPageOptions {
  locale?: Locale;
  /** The request's CSP nonce (style and script elements). */
  nonce?: string;
  /** The credential's id segment (for /c/<id>/… links); derived from credential.id when absent. */
  id?: string;
  issuer?: PageIssuer;
  /** The copy-button script (/assets/share-<hash>.js); without it the values are plain text. */
  shareScriptUrl?: string | null;
  /** The achievement's HTML page on this instance. */
  achievementPageUrl?: string | null;
  /** og:site_name. */
  siteName?: string;
}

/** The recipient's display name from the credential (the `name` IdentityObject). */
export function recipientName(credential: AchievementCredential, fallback = 'the recipient'): string {
  const ids = credential.credentialSubject?.identifier ?? [];
  return ids.find(i => i.identityType === 'name' && !i.hashed)?.identityHash ?? credential.credentialSubject?.id ?? fallback;
}

// User text in plain-text metadata is isolated (Unicode FSI … PDI; <bdi> in the body)
// so a right-to-left override in a name cannot reorder the words around it.
const iso = (text: string) => `\u2068${text}\u2069`;

/** A link out to a share service: a new window, no opener, no referrer, announced to screen readers. */
function externalLink(href: string, label: string, locale: Locale, testid: string): SafeHtml {
  return html`<a class="button secondary" href="${href}" target="_blank" rel="noopener noreferrer" data-testid="${testid}">${label}<span class="sr-only"> ${t(locale, 'share.newWindow')}</span></a>`;
}

/** A copy button for the element `targetId` (hidden until the script runs). */
function copyButton(targetId: string, what: string, locale: Locale): SafeHtml {
  return html`<button type="button" class="secondary copy" data-copy="${targetId}" data-copied="${t(locale, 'share.copied')}" data-failed="${t(locale, 'share.copyFailed')}" aria-label="${t(locale, 'share.copy')}: ${what}" hidden>${t(locale, 'share.copy')}</button>`;
}

/** Renders the page. */
export function renderCredentialPage(credential: AchievementCredential, result: VerificationResult, jsonUrl: string,
  browser?: BrowserCheckOptions, details: StandingDetails = {}, now = new Date(), options: CredentialPageOptions = {}): string {
  const locale = options.locale ?? DEFAULT_LOCALE;
  const achievement = credential.credentialSubject.achievement;
  const issuer = credential.issuer;
  const brand = options.issuer;
  const issuerName = brand?.name ?? issuer.name;
  const name = recipientName(credential, locale === 'en' ? 'the recipient' : '–');
  const pageUrl = safeUrl(credential.id);
  const absolute = pageUrl !== '#';
  const id = options.id ?? credentialIdSegment(String(credential.id));
  const local = (suffix: string) => `/c/${encodeURIComponent(id)}${suffix}`;
  const title = `${iso(achievement.name)} — ${iso(name)}`;
  const description = t(locale, 'credential.description', {issuer: iso(issuer.name), achievement: iso(achievement.name), recipient: iso(name)});
  const ogImage = absolute ? `${pageUrl}/og.png` : null;
  const ogAlt = t(locale, 'credential.ogAlt', {achievement: achievement.name, recipient: name, issuer: issuer.name});
  const origin = absolute ? new URL(pageUrl).origin : '';
  const nonce = options.nonce ?? browser?.nonce;

  const head = html`<meta name="description" content="${description}">
<link rel="canonical" href="${pageUrl}">
<link rel="alternate" type="application/ld+json" href="${jsonUrl}">
${absolute ? html`<link rel="alternate" type="application/json+oembed" href="${origin}/oembed?url=${encodeURIComponent(pageUrl)}&format=json" title="${title}">
${LOCALES.map(l => html`<link rel="alternate" hreflang="${l}" href="${pageUrl}?lang=${l}">`)}` : ''}
<meta property="og:title" content="${title}">
<meta property="og:description" content="${description}">
<meta property="og:url" content="${pageUrl}">
<meta property="og:type" content="website">
<meta property="og:site_name" content="${options.siteName ?? issuerName}">
<meta property="og:locale" content="${locale === 'sv' ? 'sv_SE' : 'en_GB'}">
${ogImage ? html`<meta property="og:image" content="${ogImage}">
<meta property="og:image:type" content="image/png">
<meta property="og:image:width" content="1200">
<meta property="og:image:height" content="627">
<meta property="og:image:alt" content="${ogAlt}">` : ''}
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="${title}">
<meta name="twitter:description" content="${description}">
${ogImage ? html`<meta name="twitter:image" content="${ogImage}">
<meta name="twitter:image:alt" content="${ogAlt}">` : ''}
${browser ? moduleScript(browser.scriptUrl, nonce) : ''}
${options.shareScriptUrl ? moduleScript(options.shareScriptUrl, nonce) : ''}`;

  const expires = credential.validUntil;
  const expired = expires ? Date.parse(expires) <= now.getTime() : false;
  const linkedIn = linkedInAddToProfileUrl({
    name: achievement.name, organizationId: brand?.linkedinOrganizationId, organizationName: issuerName,
    validFrom: credential.validFrom, validUntil: expires, certUrl: pageUrl, certId: id,
  });
  const shareText = t(locale, 'share.tweet', {achievement: achievement.name, issuer: issuerName});
  const fields: [string, string, string][] = [
    ['f-name', t(locale, 'share.field.name'), achievement.name],
    ['f-org', t(locale, 'share.field.organization'), issuerName],
    ['f-issued', t(locale, 'share.field.issueDate'), formatDate(locale, credential.validFrom)],
    ['f-expires', t(locale, 'share.field.expirationDate'), expires ? formatDate(locale, expires) : t(locale, 'share.noExpiry')],
    ['f-url', t(locale, 'share.field.credentialUrl'), pageUrl],
    ['f-id', t(locale, 'share.field.credentialId'), id],
  ];
  const embedUrl = absolute ? `${pageUrl}/embed` : local('/embed');
  const snippet = embedSnippet(embedUrl, `${achievement.name} — ${name}`);

  const header = html`${brand?.logo ? html`<img src="${safeUrl(brand.logo)}" alt="" width="120" height="40">` : ''}${brand?.pageUrl
    ? html`<a href="${brand.pageUrl}"><bdi>${issuerName}</bdi></a>` : html`<bdi>${issuerName}</bdi>`}`;

  const body = html`
<section class="card" aria-labelledby="title">
  <div class="hero">
  <img src="${local('/badge.png')}" alt="" width="96" height="96" data-testid="badge-image">
  <div>
  <p class="muted">${tHtml(locale, 'credential.awarded', {issuer: html`<bdi>${issuer.name}</bdi>`})}</p>
  <h1 id="title"><bdi>${achievement.name}</bdi></h1>
  <p>${t(locale, 'credential.to')} <strong><bdi>${name}</bdi></strong></p>
  </div>
  </div>
  <p data-testid="verdict-line">${renderVerdict(result.verified, locale)}</p>
  ${renderStanding(result, details, locale)}
  <h2 class="sr-only">${t(locale, 'credential.details')}</h2>
  <dl>
    <dt>${t(locale, 'credential.issuedBy')}</dt><dd>${issuer.url ? html`<a href="${safeUrl(issuer.url)}" rel="noopener">${issuer.name}</a>` : issuer.name} <code>${issuer.id}</code></dd>
    <dt>${t(locale, 'credential.issuedOn')}</dt><dd>${formatDate(locale, credential.validFrom)}</dd>
    ${expires ? html`<dt>${t(locale, expired ? 'credential.expiredOn' : 'credential.validUntil')}</dt><dd>${formatDate(locale, expires)}</dd>` : ''}
    ${achievement.achievementType ? html`<dt>${t(locale, 'credential.type')}</dt><dd>${achievement.achievementType}</dd>` : ''}
    <dt>${t(locale, 'credential.descriptionLabel')}</dt><dd>${achievement.description}</dd>
    ${achievement.criteria?.narrative ? html`<dt>${t(locale, 'credential.criteria')}</dt><dd>${achievement.criteria.narrative}</dd>` : ''}
    ${achievement.alignment?.length ? html`<dt>${t(locale, 'credential.skills')}</dt><dd>${achievement.alignment.map(a => html`<div><a href="${safeUrl(a.targetUrl)}" rel="noopener">${a.targetName}</a>${a.targetFramework ? html` <span class="muted">(${a.targetFramework})</span>` : ''}</div>`)}</dd>` : ''}
  </dl>
  ${brand?.pageUrl || options.achievementPageUrl ? html`<p class="actions">${brand?.pageUrl ? html`<a href="${brand.pageUrl}" data-testid="issuer-link">${t(locale, 'credential.issuerPage')}</a>` : ''}${options.achievementPageUrl ? html`<a href="${options.achievementPageUrl}" data-testid="achievement-link">${t(locale, 'credential.achievementPage')}</a>` : ''}</p>` : ''}
</section>
<section class="card" aria-labelledby="share">
  <h2 id="share">${t(locale, 'share.title')}</h2>
  <p class="actions">
    <a class="button" href="${linkedIn}" target="_blank" rel="noopener noreferrer" data-testid="linkedin-add">${t(locale, 'share.linkedinAdd')}<span class="sr-only"> ${t(locale, 'share.newWindow')}</span></a>
  </p>
  <p class="muted">${t(locale, 'share.linkedinAddHelp')}</p>
  <dl class="fields" data-testid="linkedin-fields">
    ${fields.map(([fid, label, value]) => html`<div class="field"><dt>${label}</dt><dd><span id="${fid}" class="value">${value}</span> ${copyButton(fid, label, locale)}</dd></div>`)}
  </dl>
  <h3>${t(locale, 'share.link')}</h3>
  <p class="copy-row"><label class="sr-only" for="share-url">${t(locale, 'share.link')}</label><input type="text" id="share-url" value="${pageUrl}" readonly> ${copyButton('share-url', t(locale, 'share.link'), locale)}</p>
  <p class="actions">
    ${externalLink(linkedInShareUrl(pageUrl), t(locale, 'share.linkedinShare'), locale, 'linkedin-share')}
    ${externalLink(xShareUrl(shareText, pageUrl), t(locale, 'share.x'), locale, 'x-share')}
    <a class="button secondary" href="${mailtoUrl(t(locale, 'share.emailSubject', {achievement: achievement.name}), t(locale, 'share.emailBody', {achievement: achievement.name, issuer: issuerName, url: pageUrl}))}" data-testid="email-share">${t(locale, 'share.email')}</a>
  </p>
  <h3>${t(locale, 'share.downloads')}</h3>
  <ul class="downloads" data-testid="downloads">
    <li><a href="${local('/certificate.pdf')}" download>${t(locale, 'share.pdf')}</a></li>
    <li><a href="${local('/image.png')}" download>${t(locale, 'share.png')}</a></li>
    <li><a href="${local('/badge.png')}" download>${t(locale, 'share.badgePng')}</a></li>
    <li><a href="${local('/badge.svg')}" download>${t(locale, 'share.badgeSvg')}</a></li>
    <li><a href="${jsonUrl}" download type="application/ld+json">${t(locale, 'share.wallet')}</a></li>
  </ul>
  <h3><label for="embed-code">${t(locale, 'share.embed')}</label></h3>
  <p class="muted" id="embed-help">${t(locale, 'share.embedHelp')}</p>
  <textarea id="embed-code" class="snippet" readonly spellcheck="false" aria-describedby="embed-help" data-testid="embed-code">${snippet}</textarea>
  <p>${copyButton('embed-code', t(locale, 'share.embed'), locale)}</p>
  <p class="copy-status" id="copy-status" role="status" aria-live="polite"></p>
</section>
<section class="card" aria-labelledby="checks">
  <h2 id="checks">${t(locale, 'checks.title')}</h2>
  ${renderCheckList(result.checks, locale)}
  <p class="note muted" data-testid="browser-check" aria-live="polite">${t(locale, 'checks.server')}</p>
  <p class="muted">${tHtml(locale, 'credential.download', {link: html`<a href="${jsonUrl}">${t(locale, 'credential.signedJson')}</a>`, cli: html`<code>npx laurel verify</code>`})}</p>
</section>
${browser ? jsonScript('laurel-verify', {mode: 'credential', credentialUrl: jsonUrl, publicHost: browser.publicHost, locale}) : ''}`;
  const theme = themeFor(brand?.brandColor, brand?.brandSecondaryColor);
  return layout(title, body, head, {locale, nonce, theme, header});
}

/**
 * The page of a credential its holder made private: says so, names nobody, links to
 * nothing about it, and asks not to be indexed. The credential itself stays
 * verifiable by anyone holding its file (/verify).
 */
export function renderPrivateCredentialPage(options: {locale?: Locale; nonce?: string} = {}): string {
  const locale = options.locale ?? DEFAULT_LOCALE;
  const body = html`<section class="card" aria-labelledby="title" data-testid="private">
  <h1 id="title">${t(locale, 'private.heading')}</h1>
  <p>${t(locale, 'private.body')}</p>
  <p class="muted">${tHtml(locale, 'private.verify', {link: html`<a href="/verify">${t(locale, 'private.verifyLink')}</a>`})}</p>
</section>`;
  return layout(t(locale, 'private.title'), body, html``, {locale, nonce: options.nonce, robots: 'noindex, nofollow'});
}
