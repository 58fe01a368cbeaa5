/** HTML helpers for server-rendered pages: everything interpolated is escaped. */
import {DEFAULT_LOCALE, type Locale, LOCALE_NAMES, LOCALES, t, tParts} from './i18n.js';
import {type Theme, themeCss, themeFor} from './theme.js';

const ESCAPES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;'};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, c => ESCAPES[c]);
}

/** A tagged template that escapes every interpolation unless it is already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** `html\`<p>${name}</p>\`` escapes `name`; arrays are joined; SafeHtml passes through. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new SafeHtml(out);
}

function render(v: unknown): string {
  if(v instanceof SafeHtml) return v.value;
  if(Array.isArray(v)) return v.map(render).join('');
  if(v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/** Allows only http(s) URLs into href/src attributes; anything else becomes '#'. */
export function safeUrl(value: unknown): string {
  try {
    const u = new URL(String(value));
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : '#';
  } catch {
    return '#';
  }
}

/**
 * A `<script type="application/json">` data block: not executed, so the CSP
 * (script-src 'self') allows it. `<` is escaped so no value can end the element.
 */
export function jsonScript(id: string, value: unknown): SafeHtml {
  const json = JSON.stringify(value).replace(/</g, '\\u003c');
  return new SafeHtml(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}

/** ` nonce="…"` for a Laurel-written `<script>` or `<style>` element (CSP script-src / style-src 'nonce-…'), or nothing. */
export function nonceAttr(nonce: string | undefined): SafeHtml {
  return nonce ? html` nonce="${nonce}"` : html``;
}

/** An external same-origin module script carrying the page's nonce. */
export function moduleScript(src: string, nonce: string | undefined): SafeHtml {
  return html`<script type="module" src="${src}"${nonceAttr(nonce)}></script>`;
}

/** A localized message whose `{slot}` placeholders are filled with rendered parts (links, code); the text is escaped. */
export function tHtml(locale: Locale, key: Parameters<typeof tParts>[1], slots: Record<string, unknown>): SafeHtml {
  return html`${tParts(locale, key).map(p => typeof p === 'string' ? p : (p.slot in slots ? slots[p.slot] : `{${p.slot}}`))}`;
}

/** How a page is dressed: its language, CSP nonce, the issuer's colours and header. */
export interface LayoutOptions {
  /** The page's language (`<html lang>`, footer, language switch). Default English. */
  locale?: Locale;
  /** The request's CSP nonce: the page's `<style>` carries it (style-src 'nonce-…'). */
  nonce?: string;
  /** The issuer's colours; Laurel's otherwise. */
  theme?: Theme;
  /** Content of the branded header band (issuer logo and name); Laurel's name otherwise. */
  header?: SafeHtml;
  /** A `<meta name="robots">` value, e.g. "noindex". */
  robots?: string;
  /** Show the language switch (default: when `locale` is given, i.e. the page is localized). */
  languageSwitch?: boolean;
}

/** The style sheet shared by public pages (theme variables come first, in their own rule). */
export const PAGE_CSS = `
:root{--ink:#1d2433;--muted:#545d6c;--ok:#0f7552;--bad:#b42318;--warn:#93370d;--line:#d0d5dd;--bg:#f7f8fa}
[hidden]{display:none!important}*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);background:var(--bg);overflow-wrap:anywhere}
.skip{position:absolute;left:-9999px;top:0;background:#fff;color:var(--link);padding:.5rem 1rem;z-index:10}.skip:focus{left:.5rem;top:.5rem}
.site{background:var(--brand);color:var(--on-brand);border-bottom:6px solid var(--accent)}
.site-inner{max-width:800px;margin:0 auto;padding:12px 20px;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
.site a{color:var(--on-brand)}.site-brand{display:flex;align-items:center;gap:.7rem;font-weight:600;font-size:1.05rem;min-width:0}
.site-brand img{height:40px;width:auto;max-width:160px;background:#fff;border-radius:6px;padding:3px}
.lang{font-size:.9rem}.lang ul{display:flex;gap:.8rem;list-style:none;margin:0;padding:0}.lang a[aria-current]{font-weight:700;text-decoration:none}
main{max-width:800px;margin:0 auto;padding:24px 20px}
.card{background:#fff;border:1px solid var(--line);border-radius:14px;padding:24px;margin-bottom:20px}
h1{font-size:1.7rem;line-height:1.25;margin:.2rem 0 .4rem}h2{font-size:1.15rem;margin:0 0 .8rem}h3{font-size:1rem;margin:1.2rem 0 .5rem}
.muted{color:var(--muted)}.badge{display:inline-flex;gap:.4rem;align-items:center;font-weight:600;border-radius:999px;padding:.3rem .9rem}
.badge.ok{background:#e7f6ef;color:var(--ok)}.badge.bad{background:#fdecea;color:var(--bad)}
.standing{display:flex;flex-wrap:wrap;gap:.3rem .6rem;align-items:baseline;border-radius:.6rem;padding:.7rem 1rem;margin:.8rem 0;border:1px solid var(--line)}
.standing.ok{background:#e7f6ef;color:var(--ok)}.standing.bad{background:#fdecea;color:var(--bad)}.standing.warn{background:#fef6e7;color:var(--warn)}
.standing strong{font-size:1.1rem}.standing-message{color:var(--ink);flex-basis:100%}.standing a{flex-basis:100%}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.2rem;margin:0}dt{color:var(--muted)}dd{margin:0;min-width:0}
ul.checks{list-style:none;padding:0;margin:0}ul.checks li{display:grid;grid-template-columns:1.6rem 1fr;padding:.45rem 0;border-top:1px solid var(--line)}
ul.checks li:first-child{border-top:0}.mark{font-weight:700}.passed .mark{color:var(--ok)}.failed .mark{color:var(--bad)}.warning .mark{color:var(--warn)}.skipped .mark{color:var(--muted)}
.check-detail{display:block;font-size:.85rem;color:var(--muted)}
code{font-size:.8rem;color:var(--muted)}.note{font-size:.9rem;margin:.8rem 0 0}
textarea{width:100%;min-height:10rem;font:13px/1.4 ui-monospace,monospace;padding:.6rem;border:1px solid var(--line);border-radius:8px}
textarea.snippet{min-height:5.5rem}
input[type=url],input[type=text]{width:100%;padding:.5rem;border:1px solid var(--line);border-radius:8px;font:inherit}
a{color:var(--link)}
button,.button{display:inline-flex;align-items:center;gap:.4rem;font:inherit;font-size:.95rem;padding:.5rem 1rem;border-radius:8px;border:1px solid var(--link);background:var(--link);color:#fff;cursor:pointer;text-decoration:none;min-height:44px}
button.secondary,.button.secondary{background:#fff;color:var(--link)}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;margin:.6rem 0}
.drop{border:2px dashed var(--line);border-radius:10px;padding:1rem;text-align:center;margin:.8rem 0}.drop.over{border-color:var(--link);background:#eef3fd}
.hero{display:flex;gap:1.2rem;align-items:flex-start}.hero img{width:96px;height:96px;object-fit:contain;flex:none}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
dl.fields{display:block}.fields .field{display:grid;grid-template-columns:minmax(7rem,12rem) 1fr;gap:.2rem 1rem;align-items:center;padding:.35rem 0;border-top:1px solid var(--line)}
.fields dd{display:flex;flex-wrap:wrap;gap:.4rem .8rem;align-items:center;justify-content:space-between}.fields .value{font-weight:600}
.fields button,.copy-row button{min-height:36px;padding:.3rem .8rem;font-size:.9rem}
.copy-row{display:flex;gap:.6rem;align-items:center}.copy-row input{flex:1;min-width:0}
ul.downloads{margin:.2rem 0;padding-left:1.2rem}ul.downloads li{margin:.25rem 0}
.copy-status{min-height:1.5em;font-size:.9rem}
ul.plain{list-style:none;padding:0;margin:0}ul.plain li{padding:.5rem 0;border-top:1px solid var(--line)}ul.plain li:first-child{border-top:0}
footer{color:var(--muted);font-size:.85rem;text-align:center;padding:0 20px 24px}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}.site :focus-visible{outline-color:var(--on-brand)}
@media (max-width:560px){main{padding:16px 12px}.card{padding:16px}h1{font-size:1.4rem}dl,.fields .field{grid-template-columns:1fr}dt{margin-top:.4rem}.hero{flex-direction:column}.copy-row{flex-wrap:wrap}}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important;scroll-behavior:auto!important}}
`;

/** The language switch: plain links (`?lang=`) that work without JavaScript and set the `lang` cookie. */
export function languageSwitch(locale: Locale): SafeHtml {
  return html`<nav class="lang" aria-label="${t(locale, 'layout.language')}"><ul>${LOCALES.map(l =>
    html`<li><a href="?lang=${l}" hreflang="${l}" lang="${l}"${l === locale ? html` aria-current="true"` : ''}>${LOCALE_NAMES[l]}</a></li>`)}</ul></nav>`;
}

/** The page shell shared by public pages. `options` is optional so that older callers keep working. */
export function layout(title: string, body: SafeHtml, head: SafeHtml = html``, options: LayoutOptions = {}): string {
  const locale = options.locale ?? DEFAULT_LOCALE;
  const theme = options.theme ?? themeFor();
  const showSwitch = options.languageSwitch ?? options.locale !== undefined;
  const footer = tHtml(locale, 'layout.footer', {
    vc: html`<a href="https://www.w3.org/TR/vc-data-model-2.0/">W3C Verifiable Credentials</a>`,
    ob: html`<a href="https://www.imsglobal.org/spec/ob/v3p0">Open Badges 3.0</a>`,
  });
  return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.robots ? html`<meta name="robots" content="${options.robots}">` : ''}
<link rel="icon" href="data:,">
<title>${title}</title>
${head}
<style${nonceAttr(options.nonce)}>
${new SafeHtml(themeCss(theme))}${new SafeHtml(PAGE_CSS)}</style>
</head>
<body>
<a class="skip" href="#main">${t(locale, 'layout.skip')}</a>
<header class="site"><div class="site-inner">
<div class="site-brand">${options.header ?? t(locale, 'layout.poweredBy')}</div>
${showSwitch ? languageSwitch(locale) : ''}
</div></header>
<main id="main">
${body}
</main>
<footer>${footer} · Laurel</footer>
</body>
</html>`.value;
}
