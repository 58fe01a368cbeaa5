/** The public credential page, /c/<id>: who issued what to whom and when, and every check. */
import type {AchievementCredential, VerificationResult} from '@laurel/core';
import {renderCheckList, renderStanding, renderVerdict, type StandingDetails} from './check-list.js';
import {html, jsonScript, layout, safeUrl} from './html.js';

/** What the page needs to verify again in the visitor's browser (absent: server result only). */
export interface BrowserCheckOptions {
  /** The verifier bundle's URL (/assets/verify-<hash>.js). */
  scriptUrl: string;
  /** This instance's public host: did:web DIDs on it are read from this origin. */
  publicHost: string;
}

function formatDate(iso: string | undefined): string {
  if(!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString('en-GB', {year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC'});
}

/** The recipient's display name from the credential (the `name` IdentityObject). */
export function recipientName(credential: AchievementCredential): string {
  const ids = credential.credentialSubject?.identifier ?? [];
  return ids.find(i => i.identityType === 'name' && !i.hashed)?.identityHash ?? credential.credentialSubject?.id ?? 'the recipient';
}

/** Renders the page. */
export function renderCredentialPage(credential: AchievementCredential, result: VerificationResult, jsonUrl: string,
  browser?: BrowserCheckOptions, details: StandingDetails = {}, now = new Date()): string {
  const achievement = credential.credentialSubject.achievement;
  const issuer = credential.issuer;
  const name = recipientName(credential);
  // User text is isolated (Unicode FSI … PDI; <bdi> in the body) so a right-to-left
  // override in a name cannot reorder the words around it.
  const iso = (text: string) => `\u2068${text}\u2069`;
  const title = `${iso(achievement.name)} — ${iso(name)}`;
  const description = `${iso(issuer.name)} awarded ${iso(achievement.name)} to ${iso(name)}.`;
  const head = html`<meta name="description" content="${description}">
<link rel="canonical" href="${safeUrl(credential.id)}">
<link rel="alternate" type="application/ld+json" href="${jsonUrl}">
<meta property="og:title" content="${title}">
<meta property="og:description" content="${description}">
<meta property="og:url" content="${safeUrl(credential.id)}">
<meta property="og:type" content="website">
${browser ? html`<script type="module" src="${browser.scriptUrl}"></script>` : ''}`;
  const body = html`
<section class="card" aria-labelledby="title">
  <p class="muted"><bdi>${issuer.name}</bdi> awarded</p>
  <h1 id="title"><bdi>${achievement.name}</bdi></h1>
  <p>to <strong><bdi>${name}</bdi></strong></p>
  <p data-testid="verdict-line">${renderVerdict(result.verified)}</p>
  ${renderStanding(result, details)}
  <dl>
    <dt>Issued by</dt><dd>${issuer.url ? html`<a href="${safeUrl(issuer.url)}" rel="noopener">${issuer.name}</a>` : issuer.name} <code>${issuer.id}</code></dd>
    <dt>Issued on</dt><dd>${formatDate(credential.validFrom)}</dd>
    ${credential.validUntil ? html`<dt>${Date.parse(credential.validUntil) <= now.getTime() ? 'Expired on' : 'Valid until'}</dt><dd>${formatDate(credential.validUntil)}</dd>` : ''}
    ${achievement.achievementType ? html`<dt>Type</dt><dd>${achievement.achievementType}</dd>` : ''}
    <dt>Description</dt><dd>${achievement.description}</dd>
    ${achievement.criteria?.narrative ? html`<dt>Criteria</dt><dd>${achievement.criteria.narrative}</dd>` : ''}
    ${achievement.alignment?.length ? html`<dt>Skills</dt><dd>${achievement.alignment.map(a => html`<div><a href="${safeUrl(a.targetUrl)}" rel="noopener">${a.targetName}</a>${a.targetFramework ? html` <span class="muted">(${a.targetFramework})</span>` : ''}</div>`)}</dd>` : ''}
  </dl>
</section>
<section class="card" aria-labelledby="checks">
  <h2 id="checks">Checks</h2>
  ${renderCheckList(result.checks)}
  <p class="note muted" data-testid="browser-check" aria-live="polite">Checked by this server.</p>
  <p class="muted">Download the <a href="${jsonUrl}">signed credential (JSON)</a> and check it yourself with <code>npx laurel verify</code>.</p>
</section>
${browser ? jsonScript('laurel-verify', {mode: 'credential', credentialUrl: jsonUrl, publicHost: browser.publicHost}) : ''}`;
  return layout(title, body, head);
}
