/** An achievement's public page, /achievements/<id> for browsers (JSON clients get the OB 3.0 Achievement). */
import type {Achievement} from '@laurel/core';
import {html, layout, safeUrl} from './html.js';
import {DEFAULT_LOCALE, type Locale, t} from './i18n.js';
import {issuerHeader} from './issuer-page.js';
import {themeFor} from './theme.js';

/** The issuer as the achievement page shows it. */
export interface AchievementIssuer {
  name: string;
  logo?: string | null;
  /** Its page on this instance. */
  pageUrl: string;
  brandColor?: string | null;
  brandSecondaryColor?: string | null;
}

/** Renders the page. `jsonUrl` serves the same achievement as JSON. */
export function renderAchievementPage(a: Achievement, issuer: AchievementIssuer, jsonUrl: string,
  options: {locale?: Locale; nonce?: string} = {}): string {
  const locale = options.locale ?? DEFAULT_LOCALE;
  const extra = a as Achievement & {humanCode?: string; fieldOfStudy?: string; specialization?: string};
  const image = a.image?.id && safeUrl(a.image.id) !== '#' ? safeUrl(a.image.id) : null;
  const pageUrl = safeUrl(a.id);
  const head = html`<meta name="description" content="${a.description}">
${pageUrl !== '#' ? html`<link rel="canonical" href="${pageUrl}">` : ''}
<link rel="alternate" type="application/ld+json" href="${jsonUrl}">
<meta property="og:title" content="${a.name}">
<meta property="og:description" content="${a.description}">
<meta property="og:type" content="website">
${pageUrl !== '#' ? html`<meta property="og:url" content="${pageUrl}">` : ''}
${image ? html`<meta property="og:image" content="${image}">` : ''}`;
  const body = html`
<section class="card" aria-labelledby="title">
  <div class="hero">
  ${image ? html`<img src="${image}" alt="${a.image?.caption ?? ''}" width="96" height="96">` : ''}
  <div>
  <p class="muted"><a href="${issuer.pageUrl}" data-testid="issuer-link">${t(locale, 'achievement.issuedBy', {issuer: issuer.name})}</a></p>
  <h1 id="title"><bdi>${a.name}</bdi></h1>
  </div>
  </div>
  <dl>
    ${a.achievementType ? html`<dt>${t(locale, 'achievement.type')}</dt><dd>${a.achievementType}</dd>` : ''}
    <dt>${t(locale, 'achievement.description')}</dt><dd>${a.description}</dd>
    ${a.criteria?.narrative || a.criteria?.id ? html`<dt>${t(locale, 'achievement.criteria')}</dt><dd>${a.criteria.narrative ?? ''}${a.criteria.id ? html` <a href="${safeUrl(a.criteria.id)}" rel="noopener">${t(locale, 'achievement.criteriaLink')}</a>` : ''}</dd>` : ''}
    ${extra.humanCode ? html`<dt>${t(locale, 'achievement.code')}</dt><dd>${extra.humanCode}</dd>` : ''}
    ${extra.fieldOfStudy ? html`<dt>${t(locale, 'achievement.field')}</dt><dd>${extra.fieldOfStudy}${extra.specialization ? html` · ${extra.specialization}` : ''}</dd>` : ''}
    ${a.creditsAvailable !== undefined ? html`<dt>${t(locale, 'achievement.credits')}</dt><dd>${a.creditsAvailable}</dd>` : ''}
    ${a.tag?.length ? html`<dt>${t(locale, 'achievement.tags')}</dt><dd>${a.tag.join(', ')}</dd>` : ''}
  </dl>
</section>
${a.alignment?.length ? html`<section class="card" aria-labelledby="skills">
  <h2 id="skills">${t(locale, 'achievement.skills')}</h2>
  <ul class="plain" data-testid="alignments">
    ${a.alignment.map(al => html`<li><a href="${safeUrl(al.targetUrl)}" rel="noopener">${al.targetName}</a>${al.targetFramework ? html` <span class="muted">(${al.targetFramework}${al.targetCode ? html` · ${al.targetCode}` : ''})</span>` : ''}${al.targetDescription ? html`<br><span class="muted">${al.targetDescription}</span>` : ''}</li>`)}
  </ul>
</section>` : ''}
<p class="muted"><a href="${jsonUrl}">${t(locale, 'achievement.json')}</a></p>`;
  return layout(a.name, body, head, {locale, nonce: options.nonce, theme: themeFor(issuer.brandColor, issuer.brandSecondaryColor),
    header: issuerHeader(issuer.name, issuer.logo, issuer.pageUrl)});
}
