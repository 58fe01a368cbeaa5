/** The home page of this instance (an organization's own domain shows its issuer page instead). */
import {html, layout, tHtml} from './html.js';
import {DEFAULT_LOCALE, type Locale, t} from './i18n.js';

/** Renders the page. */
export function renderHomePage(options: {locale?: Locale; nonce?: string} = {}): string {
  const locale = options.locale ?? DEFAULT_LOCALE;
  const body = html`<section class="card" aria-labelledby="title"><h1 id="title">Laurel</h1>
<p>${t(locale, 'home.main')}</p>
<p class="muted">${tHtml(locale, 'home.help', {path: html`<code>/c/…</code>`})}</p>
<p><a class="button" href="/verify">${t(locale, 'home.verify')}</a></p></section>`;
  return layout('Laurel', body, html``, {locale, nonce: options.nonce});
}
