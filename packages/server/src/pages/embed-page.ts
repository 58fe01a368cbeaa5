/**
 * The embeddable credential card, /c/<id>/embed: the badge, the achievement, the
 * recipient, the issuer and the server's verdict, with a link to the full page.
 * A document of its own (no site header or footer) so it is small and fast; the
 * only page that other sites may frame (CSP frame-ancestors *).
 */
import {type AchievementCredential, standingOf, type VerificationResult} from '@laurel/core';
import {recipientName} from './credential-page.js';
import {html, nonceAttr, safeUrl} from './html.js';
import {DEFAULT_LOCALE, type Locale, t} from './i18n.js';
import {themeCss, themeFor} from './theme.js';

const EMBED_CSS = `
*{box-sizing:border-box}html,body{margin:0;background:transparent}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1d2433;overflow-wrap:anywhere}
main{display:flex;gap:14px;align-items:flex-start;background:#fff;border:1px solid #d0d5dd;border-top:5px solid var(--brand);border-radius:12px;padding:14px;max-width:100%;min-height:100vh}
img{width:72px;height:72px;object-fit:contain;flex:none}
h1{font-size:1.05rem;line-height:1.3;margin:0 0 4px}p{margin:0 0 4px}.muted{color:#545d6c}
.status{font-weight:600;display:inline-block;border-radius:999px;padding:1px 10px;margin:4px 0}.ok{background:#e7f6ef;color:#0f7552}.bad{background:#fdecea;color:#b42318}.warn{background:#fef6e7;color:#93370d}
a{color:var(--link);font-weight:600}a:focus-visible{outline:3px solid var(--link);outline-offset:2px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}
`;

const STATE_CLASS: Record<string, string> = {valid: 'ok', 'status-unknown': 'warn'};

/** Renders the card. `pageUrl` is the full credential page, `badgeUrl` its badge image. */
export function renderEmbed(credential: AchievementCredential, result: VerificationResult, o: {
  pageUrl: string; badgeUrl: string; locale?: Locale; nonce?: string; brandColor?: string | null; brandSecondaryColor?: string | null;
}): string {
  const locale = o.locale ?? DEFAULT_LOCALE;
  const achievement = credential.credentialSubject.achievement;
  const name = recipientName(credential, '–');
  const standing = standingOf(result);
  const theme = themeFor(o.brandColor, o.brandSecondaryColor);
  const verdict = result.verified ? `✓ ${t(locale, 'verdict.verified')}` : `✗ ${t(locale, 'verdict.notVerified')}`;
  return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${achievement.name} — ${name}</title>
<style${nonceAttr(o.nonce)}>${html`${themeCss(theme)}`}${EMBED_CSS}</style>
</head>
<body>
<main>
<img src="${o.badgeUrl}" alt="" width="72" height="72">
<div>
<h1><bdi>${achievement.name}</bdi></h1>
<p>${t(locale, 'embed.awardedTo', {recipient: name})}</p>
<p class="muted">${t(locale, 'embed.by', {issuer: credential.issuer.name})}</p>
<p class="status ${STATE_CLASS[standing.state] ?? 'bad'}" data-testid="embed-status" data-state="${standing.state}">${verdict} · ${t(locale, `standing.${standing.state}`)}</p>
<p><a href="${safeUrl(o.pageUrl)}" target="_blank" rel="noopener">${t(locale, 'embed.view')}<span class="sr-only"> ${t(locale, 'share.newWindow')}</span></a></p>
</div>
</main>
</body>
</html>`.value;
}
