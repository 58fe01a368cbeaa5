/**
 * The public verification page, /verify: paste credential JSON, a vc+jwt or a
 * link. With JavaScript the browser verifies pasted text and dropped files (baked
 * badges, and PDFs with the credential attached) itself (pages/browser/verify-app.ts);
 * without it the form posts to the server.
 */
import type {VerificationResult} from '@laurel/core';
import type {BrowserCheckOptions} from './credential-page.js';
import {renderCheckList, renderStanding, renderVerdict} from './check-list.js';
import {html, jsonScript, layout} from './html.js';

/** What the page shows under the form: nothing yet, a server result, or why the input was refused. */
export type VerifyPageOutcome = {kind: 'none'} | {kind: 'result'; result: VerificationResult} | {kind: 'error'; message: string};

/** Renders /verify. `input` refills the text box after a server-side check. */
export function renderVerifyPage(outcome: VerifyPageOutcome, input = '', browser?: BrowserCheckOptions): string {
  const head = html`<meta name="description" content="Check an Open Badges 3.0 or W3C Verifiable Credential.">
${browser ? html`<script type="module" src="${browser.scriptUrl}"${browser.nonce ? html` nonce="${browser.nonce}"` : ''}></script>` : ''}`;
  const body = html`
<section class="card" aria-labelledby="title">
  <h1 id="title">Verify a credential</h1>
  <form method="post" action="/verify" id="verify-form">
    <p><label for="verify-input">Paste the credential (JSON), a <code>vc+jwt</code> token, or a link to a credential.</label></p>
    <textarea id="verify-input" name="input" spellcheck="false" autocomplete="off" placeholder='{"@context": …} or https://…'>${input}</textarea>
    <div class="drop" id="verify-drop" hidden>
      <label for="verify-file">Drop a <code>.json</code> file, a baked badge (<code>.png</code>, <code>.svg</code>) or a PDF certificate
        with the credential attached here, or choose one:</label>
      <input type="file" id="verify-file" accept=".json,.jwt,.txt,.png,.svg,.pdf,application/json,image/png,image/svg+xml,application/pdf">
    </div>
    <div id="verify-scan-row" hidden>
      <p><button type="button" class="secondary" id="verify-scan" data-testid="scan">Scan a QR code with the camera</button>
        <span class="muted" id="verify-scan-status" data-testid="scan-status"></span></p>
      <video id="verify-video" hidden playsinline muted width="320" height="240"></video>
    </div>
    <p><button type="submit" name="where" value="browser">Verify</button>
      <button type="submit" class="secondary" name="where" value="server" data-testid="server-check">Check on the server instead</button></p>
    <p class="note muted">With JavaScript on, pasted text and files are checked in your browser: they never leave it unless you ask
      for a server-side check, and then only the credential taken out of a badge or PDF is sent, never the file. Links are always
      checked by this server, because browsers may not fetch other sites' pages.</p>
  </form>
</section>
<section class="card" id="verify-result" aria-live="polite"${outcome.kind === 'none' ? html` hidden` : ''}>
  ${outcome.kind === 'result' ? html`<h2>Result</h2>
  <p data-testid="verdict-line">${renderVerdict(outcome.result.verified)}</p>
  ${renderStanding(outcome.result)}
  ${renderCheckList(outcome.result.checks)}
  <p class="note muted" data-testid="result-where">Checked by this server.</p>` : ''}
  ${outcome.kind === 'error' ? html`<h2>Result</h2><p class="badge bad" data-testid="input-error">${outcome.message}</p>` : ''}
</section>
${browser ? jsonScript('laurel-verify', {mode: 'verify', publicHost: browser.publicHost}) : ''}`;
  return layout('Verify a credential — Laurel', body, head, {nonce: browser?.nonce});
}
