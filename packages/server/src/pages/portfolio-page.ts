/**
 * The recipient portfolio's pages, in English and Swedish: sign-in, "check your email",
 * the sign-in confirmation (GET never uses the link), the portfolio itself and the public
 * profile `/p/<handle>`. Server-rendered forms only: everything works without JavaScript.
 */
import type {PortfolioItem, ProfileView, PublicProfile} from '../services/portfolio.js';
import {html, layout, SafeHtml} from './html.js';
import {formatDate, type Locale} from './i18n.js';

/** The locales the portfolio speaks (the pages' locales, negotiated by i18n.ts). */
export type PortfolioLocale = Locale;

const STRINGS = {
  en: {
    title: 'Your credentials',
    signInTitle: 'Sign in to your credentials',
    signInIntro: 'Enter the email address your credentials were sent to. We will email you a sign-in link: no password needed.',
    emailLabel: 'Email address',
    send: 'Email me a sign-in link',
    invalidEmail: 'Enter an email address, like name@example.org.',
    checkTitle: 'Check your email',
    checkBody: 'If credentials were issued to this address here, a sign-in link is on its way. It works once and for 15 minutes.',
    checkAgain: 'Nothing arrived? Check your spam folder, or ask again in a few minutes.',
    confirmTitle: 'Sign in',
    confirmBody: (email: string) => html`Sign in as <strong>${email}</strong>?`,
    confirm: 'Sign in',
    invalidTitle: 'This link does not work',
    invalidBody: 'The sign-in link is not valid: it may have expired or been used already.',
    askNew: 'Ask for a new link',
    signedInAs: 'Signed in as',
    signOut: 'Sign out',
    download: 'Download all (ZIP)',
    downloadNote: 'JSON files of every credential (also the private ones), with the PDF certificates.',
    none: 'No credentials have been issued to this address yet.',
    truncated: (n: number) => `Showing the newest ${n}. The download holds them all.`,
    issuedBy: 'Issued by',
    issued: 'Issued',
    expires: 'Expires',
    status: {active: 'Valid', revoked: 'Revoked', suspended: 'Suspended', expired: 'Expired'},
    visibility: {public: 'Public', private: 'Private'},
    makePrivate: 'Make private',
    makePublic: 'Make public',
    view: 'View',
    credentialsHeading: 'Credentials',
    profileHeading: 'Public profile',
    profileIntro: 'Your public profile lists your public credentials, except revoked ones.',
    handleLabel: 'Handle',
    handleHelp: '3–30 characters: a–z, 0–9 and hyphens. Your page will be at',
    displayNameLabel: 'Display name',
    profilePublicLabel: 'Show my public profile',
    save: 'Save profile',
    saved: 'Profile saved.',
    profileLink: 'Your public profile',
    profileOff: 'Your profile is not public.',
    profileTitle: (name: string) => `${name}: credentials`,
    profileEmpty: 'No public credentials yet.',
    errors: {HANDLE_INVALID: 'That handle cannot be used', HANDLE_TAKEN: 'That handle is taken: choose another', VALIDATION_FAILED: 'Check the form'},
  },
  sv: {
    title: 'Dina intyg',
    signInTitle: 'Logga in till dina intyg',
    signInIntro: 'Ange e-postadressen som dina intyg skickades till. Vi mejlar en inloggningslänk: inget lösenord behövs.',
    emailLabel: 'E-postadress',
    send: 'Mejla mig en inloggningslänk',
    invalidEmail: 'Ange en e-postadress, till exempel namn@exempel.se.',
    checkTitle: 'Titta i din e-post',
    checkBody: 'Om intyg har utfärdats till den här adressen här är en inloggningslänk på väg. Den fungerar en gång och i 15 minuter.',
    checkAgain: 'Kom inget? Titta i skräpposten, eller be om en ny länk om några minuter.',
    confirmTitle: 'Logga in',
    confirmBody: (email: string) => html`Logga in som <strong>${email}</strong>?`,
    confirm: 'Logga in',
    invalidTitle: 'Länken fungerar inte',
    invalidBody: 'Inloggningslänken är inte giltig: den kan ha gått ut eller redan ha använts.',
    askNew: 'Be om en ny länk',
    signedInAs: 'Inloggad som',
    signOut: 'Logga ut',
    download: 'Ladda ner alla (ZIP)',
    downloadNote: 'JSON-filer för varje intyg (även de privata), med PDF-intygen.',
    none: 'Inga intyg har utfärdats till den här adressen ännu.',
    truncated: (n: number) => `De ${n} senaste visas. Nedladdningen innehåller alla.`,
    issuedBy: 'Utfärdat av',
    issued: 'Utfärdat',
    expires: 'Går ut',
    status: {active: 'Giltigt', revoked: 'Återkallat', suspended: 'Tillfälligt spärrat', expired: 'Har gått ut'},
    visibility: {public: 'Offentligt', private: 'Privat'},
    makePrivate: 'Gör privat',
    makePublic: 'Gör offentligt',
    view: 'Visa',
    credentialsHeading: 'Intyg',
    profileHeading: 'Offentlig profil',
    profileIntro: 'Din offentliga profil visar dina offentliga intyg, utom återkallade.',
    handleLabel: 'Användarnamn',
    handleHelp: '3–30 tecken: a–z, 0–9 och bindestreck. Din sida blir',
    displayNameLabel: 'Visningsnamn',
    profilePublicLabel: 'Visa min offentliga profil',
    save: 'Spara profilen',
    saved: 'Profilen är sparad.',
    profileLink: 'Din offentliga profil',
    profileOff: 'Din profil är inte offentlig.',
    profileTitle: (name: string) => `${name}: intyg`,
    profileEmpty: 'Inga offentliga intyg ännu.',
    errors: {HANDLE_INVALID: 'Användarnamnet kan inte användas', HANDLE_TAKEN: 'Användarnamnet är upptaget: välj ett annat', VALIDATION_FAILED: 'Kontrollera formuläret'},
  },
} as const;

/** The portfolio's own styles (small, and responsive down to 360 px). */
const STYLES = `.pf-list{list-style:none;margin:0;padding:0}.pf-item{border-top:1px solid var(--line);padding:1rem 0;display:grid;gap:.35rem}
.pf-item:first-child{border-top:0}.pf-item h3{margin:0;font-size:1.05rem;overflow-wrap:anywhere}.pf-meta{color:var(--muted);font-size:.92rem;margin:0}
.pf-row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}.pf-tag{display:inline-block;border-radius:999px;padding:.1rem .6rem;font-size:.85rem;font-weight:600;border:1px solid var(--line)}
.pf-tag.active{background:#e7f6ef;color:var(--ok)}.pf-tag.revoked,.pf-tag.suspended,.pf-tag.expired{background:#fdecea;color:var(--bad)}.pf-tag.private{background:#eef1f5;color:var(--ink)}
.pf-row form{margin:0}.pf-field{display:grid;gap:.25rem;margin:0 0 .9rem}.pf-field input[type=text],.pf-field input[type=email]{width:100%;padding:.5rem;border:1px solid #98a2b3;border-radius:8px;font:inherit}
.pf-check{display:flex;gap:.5rem;align-items:center;margin:0 0 .9rem}.pf-error{color:var(--bad);font-weight:600}.pf-notice{color:var(--ok);font-weight:600}
.pf-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.6rem;align-items:center}.pf-head form{margin:0}
.pf-badge{width:64px;height:64px;object-fit:contain;flex:none}.pf-pub{display:flex;gap:1rem;align-items:flex-start}
a.pf-button{display:inline-block;padding:.45rem 1rem;border-radius:8px;background:var(--link);color:#fff;text-decoration:none}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}
.visually-hidden{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
@media (max-width:480px){main{padding:16px 10px}.card{padding:18px 14px}}`;

// STYLES is a constant (nothing interpolated), so it passes unescaped.
const styleTag = (nonce: string | undefined): SafeHtml => html`<style${nonce ? html` nonce="${nonce}"` : html``}>${new SafeHtml(STYLES)}</style>`;

/** Options every portfolio page takes. */
export interface PageOptions {
  locale: PortfolioLocale;
  /** The per-request CSP nonce for the inline <style>, when the app sends one. */
  nonce?: string;
}

/** A portfolio page; private ones (all but the public profile) ask not to be indexed. */
function page(o: PageOptions, title: string, body: SafeHtml, robots = 'noindex'): string {
  return layout(title, body, styleTag(o.nonce), {locale: o.locale, nonce: o.nonce, ...(robots ? {robots} : {})});
}

const dateOf = (d: Date, locale: PortfolioLocale) => formatDate(locale, d);

/** The sign-in form (GET /portfolio/sign-in, and again with an error). */
export function renderSignIn(o: PageOptions & {email?: string; invalid?: boolean}): string {
  const t = STRINGS[o.locale];
  return page(o, t.signInTitle, html`<section class="card"><h1>${t.signInTitle}</h1><p>${t.signInIntro}</p>
<form method="post" action="/portfolio/sign-in" novalidate>
<div class="pf-field"><label for="email">${t.emailLabel}</label>
<input type="email" id="email" name="email" autocomplete="email" required value="${o.email ?? ''}"${o.invalid ? html` aria-invalid="true" aria-describedby="email-error"` : html``}>
${o.invalid ? html`<p class="pf-error" id="email-error">${t.invalidEmail}</p>` : html``}</div>
<button type="submit">${t.send}</button></form></section>`);
}

/** "Check your email": the one answer to every sign-in request. */
export function renderCheckEmail(o: PageOptions): string {
  const t = STRINGS[o.locale];
  return page(o, t.checkTitle, html`<section class="card" data-page="check-email"><h1>${t.checkTitle}</h1><p>${t.checkBody}</p>
<p class="muted">${t.checkAgain}</p></section>`);
}

/** The confirmation behind the emailed link: a POST form, so following the link (a scanner) uses nothing. */
export function renderConfirm(o: PageOptions & {email: string; token: string}): string {
  const t = STRINGS[o.locale];
  return page(o, t.confirmTitle, html`<section class="card"><h1>${t.confirmTitle}</h1><p>${t.confirmBody(o.email)}</p>
<form method="post" action="/portfolio/auth"><input type="hidden" name="token" value="${o.token}">
<button type="submit">${t.confirm}</button></form></section>`);
}

/** An unknown, used or expired link (never saying which). */
export function renderLinkInvalid(o: PageOptions): string {
  const t = STRINGS[o.locale];
  return page(o, t.invalidTitle, html`<section class="card" data-code="MAGIC_LINK_INVALID"><h1>${t.invalidTitle}</h1><p>${t.invalidBody}</p>
<p><a class="pf-button" href="/portfolio/sign-in">${t.askNew}</a></p><p class="muted"><code>MAGIC_LINK_INVALID</code></p></section>`);
}

/** What the portfolio page shows. */
export interface PortfolioPageData {
  email: string;
  items: PortfolioItem[];
  truncated: boolean;
  profile: ProfileView;
  csrfToken: string;
  publicOrigin: string;
  /** A problem with the profile form: its code, and the values as submitted. */
  profileError?: {code: 'HANDLE_INVALID' | 'HANDLE_TAKEN' | 'VALIDATION_FAILED'; message: string; input: ProfileView};
  saved?: boolean;
}

function statusTag(item: PortfolioItem, locale: PortfolioLocale): SafeHtml {
  return html`<span class="pf-tag ${item.status}" data-status="${item.status}">${STRINGS[locale].status[item.status]}</span>`;
}

/** The signed-in portfolio. */
export function renderPortfolio(o: PageOptions & PortfolioPageData): string {
  const t = STRINGS[o.locale];
  const csrf = html`<input type="hidden" name="csrf" value="${o.csrfToken}">`;
  const items = o.items.map(item => {
    const next = item.visibility === 'public' ? 'private' : 'public';
    const label = item.visibility === 'public' ? t.makePrivate : t.makePublic;
    return html`<li class="pf-item" data-credential="${item.id}" data-visibility="${item.visibility}">
<h3>${item.achievementName}</h3>
<p class="pf-meta">${t.issuedBy} ${item.issuerName} · ${t.issued} <time datetime="${item.issuedAt.toISOString()}">${dateOf(item.issuedAt, o.locale)}</time>${item.validUntil
  ? html` · ${t.expires} <time datetime="${item.validUntil.toISOString()}">${dateOf(item.validUntil, o.locale)}</time>` : html``}</p>
<div class="pf-row">${statusTag(item, o.locale)}<span class="pf-tag ${item.visibility}">${t.visibility[item.visibility]}</span>
<form method="post" action="/portfolio/credentials/${encodeURIComponent(item.id)}/visibility">${csrf}<input type="hidden" name="visibility" value="${next}">
<button type="submit" class="secondary">${label}<span class="visually-hidden">: ${item.achievementName}</span></button></form>
<a href="/c/${encodeURIComponent(item.id)}">${t.view}<span class="visually-hidden">: ${item.achievementName}</span></a></div></li>`;
  });
  const p = o.profileError?.input ?? o.profile;
  const profileUrl = o.profile.handle ? `${o.publicOrigin}/p/${o.profile.handle}` : null;
  const errorId = o.profileError ? 'profile-error' : null;
  return page(o, t.title, html`<section class="card"><div class="pf-head"><div><h1>${t.title}</h1>
<p class="muted">${t.signedInAs} <strong>${o.email}</strong></p></div>
<form method="post" action="/portfolio/sign-out">${csrf}<button type="submit" class="secondary">${t.signOut}</button></form></div>
<p><a class="pf-button" href="/portfolio/export.zip" download>${t.download}</a></p><p class="muted">${t.downloadNote}</p></section>
<section class="card" aria-labelledby="credentials-heading"><h2 id="credentials-heading">${t.credentialsHeading} (${o.items.length})</h2>
${o.items.length === 0 ? html`<p>${t.none}</p>` : html`<ul class="pf-list">${items}</ul>`}
${o.truncated ? html`<p class="muted">${t.truncated(o.items.length)}</p>` : html``}</section>
<section class="card" aria-labelledby="profile-heading"><h2 id="profile-heading">${t.profileHeading}</h2><p class="muted">${t.profileIntro}</p>
${o.profileError ? html`<p class="pf-error" id="profile-error" role="alert" data-code="${o.profileError.code}">${t.errors[o.profileError.code]}: ${o.profileError.message}</p>` : html``}
${o.saved ? html`<p class="pf-notice" role="status">${t.saved}</p>` : html``}
<form method="post" action="/portfolio/profile">${csrf}
<div class="pf-field"><label for="handle">${t.handleLabel}</label>
<input type="text" id="handle" name="handle" value="${p.handle ?? ''}" maxlength="30" autocomplete="off" autocapitalize="none" spellcheck="false"
 aria-describedby="handle-help${errorId ? ' profile-error' : ''}"${o.profileError ? html` aria-invalid="true"` : html``}>
<span class="muted" id="handle-help">${t.handleHelp} ${o.publicOrigin}/p/…</span></div>
<div class="pf-field"><label for="displayName">${t.displayNameLabel}</label>
<input type="text" id="displayName" name="displayName" value="${p.displayName ?? ''}" maxlength="100" autocomplete="name"></div>
<div class="pf-check"><input type="checkbox" id="profilePublic" name="profilePublic" value="on"${p.profilePublic ? html` checked` : html``}>
<label for="profilePublic">${t.profilePublicLabel}</label></div>
<button type="submit">${t.save}</button></form>
${o.profile.profilePublic && profileUrl ? html`<p>${t.profileLink}: <a href="/p/${o.profile.handle}">${profileUrl}</a></p>` : html`<p class="muted">${t.profileOff}</p>`}
</section>`);
}

/** The public profile `/p/<handle>`. */
export function renderPublicProfile(o: PageOptions & {profile: PublicProfile}): string {
  const t = STRINGS[o.locale];
  const name = o.profile.displayName ?? o.profile.handle;
  const items = o.profile.items.map(item => html`<li class="pf-item" data-credential="${item.id}"><div class="pf-pub">
<img class="pf-badge" src="/c/${encodeURIComponent(item.id)}/badge.png" alt="" width="64" height="64" loading="lazy">
<div><h3><a href="/c/${encodeURIComponent(item.id)}">${item.achievementName}</a></h3>
<p class="pf-meta">${t.issuedBy} ${item.issuerName} · ${t.issued} <time datetime="${item.issuedAt.toISOString()}">${dateOf(item.issuedAt, o.locale)}</time></p>
${item.status === 'active' ? html`` : html`<div class="pf-row">${statusTag(item, o.locale)}</div>`}</div></div></li>`);
  return page(o, t.profileTitle(name), html`<section class="card"><h1>${name}</h1>
${o.profile.items.length === 0 ? html`<p>${t.profileEmpty}</p>` : html`<ul class="pf-list">${items}</ul>`}</section>`, '');
}
