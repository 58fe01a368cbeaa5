/**
 * The public verification page, /verify: paste credential JSON, a vc+jwt or a
 * link. With JavaScript the browser verifies pasted text and dropped files (baked
 * badges, and PDFs with the credential attached) itself (pages/browser/verify-app.ts);
 * without it the form posts to the server.
 */
import type {VerificationResult} from '@laurel/core';
import type {BrowserCheckOptions} from './credential-page.js';
import {renderCheckList, renderStanding, renderVerdict} from './check-list.js';
import {html, jsonScript, layout, tHtml} from './html.js';
import {DEFAULT_LOCALE, type Locale, t} from './i18n.js';

/** What the page shows under the form: nothing yet, a server result, or why the input was refused. */
export type VerifyPageOutcome = {kind: 'none'} | {kind: 'result'; result: VerificationResult} | {kind: 'error'; message: string};

/** Renders /verify. `input` refills the text box after a server-side check. */
export function renderVerifyPage(outcome: VerifyPageOutcome, input = '', browser?: BrowserCheckOptions, locale: Locale = DEFAULT_LOCALE): string {
  const code = (text: string) => html`<code>${text}</code>`;
  // The server's messages about unreadable input are in English.
  const en = locale === 'en' ? '' : html` lang="en"`;
  const head = html`<meta name="description" content="${t(locale, 'verify.description')}">
${browser ? html`<script type="module" src="${browser.scriptUrl}"${browser.nonce ? html` nonce="${browser.nonce}"` : ''}></script>` : ''}`;
  const body = html`
<section class="card" aria-labelledby="title">
  <h1 id="title">${t(locale, 'verify.title')}</h1>
  <form method="post" action="/verify" id="verify-form">
    <p><label for="verify-input">${tHtml(locale, 'verify.paste', {jwt: code('vc+jwt')})}</label></p>
    <textarea id="verify-input" name="input" spellcheck="false" autocomplete="off" placeholder='{"@context": …} or https://…'>${input}</textarea>
    <div class="drop" id="verify-drop" hidden>
      <label for="verify-file">${tHtml(locale, 'verify.drop', {json: code('.json'), png: code('.png'), svg: code('.svg')})}</label>
      <input type="file" id="verify-file" accept=".json,.jwt,.txt,.png,.svg,.pdf,application/json,image/png,image/svg+xml,application/pdf">
    </div>
    <div id="verify-scan-row" hidden>
      <p><button type="button" class="secondary" id="verify-scan" data-testid="scan">${t(locale, 'verify.scan')}</button>
        <span class="muted" id="verify-scan-status" data-testid="scan-status"></span></p>
      <video id="verify-video" hidden playsinline muted width="320" height="240"></video>
    </div>
    <p><button type="submit" name="where" value="browser">${t(locale, 'verify.submit')}</button>
      <button type="submit" class="secondary" name="where" value="server" data-testid="server-check">${t(locale, 'verify.server')}</button></p>
    <p class="note muted">${t(locale, 'verify.note')}</p>
  </form>
</section>
<section class="card" id="verify-result" aria-live="polite"${outcome.kind === 'none' ? html` hidden` : ''}>
  ${outcome.kind === 'result' ? html`<h2>${t(locale, 'verify.result')}</h2>
  <p data-testid="verdict-line">${renderVerdict(outcome.result.verified, locale)}</p>
  ${renderStanding(outcome.result, {}, locale)}
  ${renderCheckList(outcome.result.checks, locale)}
  <p class="note muted" data-testid="result-where">${t(locale, 'checks.server')}</p>` : ''}
  ${outcome.kind === 'error' ? html`<h2>${t(locale, 'verify.result')}</h2><p class="badge bad" data-testid="input-error"${en}>${outcome.message}</p>` : ''}
</section>
${browser ? jsonScript('laurel-verify', {mode: 'verify', publicHost: browser.publicHost, locale}) : ''}`;
  return layout(`${t(locale, 'verify.title')} — Laurel`, body, head, {nonce: browser?.nonce, locale});
}
