/** The list of verification checks, as every page shows it: a mark, the message and the code. */
import {type Check, standingOf, type VerificationResult} from '@laurel/core';
import {html, type SafeHtml} from './html.js';

/** The mark shown for each status. */
export const MARKS = {passed: '✓', failed: '✗', warning: '!', skipped: '–'} as const;
/** The accessible label of each mark. */
export const LABELS = {passed: 'Passed', failed: 'Failed', warning: 'Warning', skipped: 'Not checked'} as const;

/** The `<ul class="checks">` of a result; pages/browser/verify-app.ts renders the same markup. */
export function renderCheckList(checks: readonly Check[]): SafeHtml {
  return html`<ul class="checks" data-testid="checks">
    ${checks.map(c => html`<li class="${c.status}" data-code="${c.code}"><span class="mark" aria-label="${LABELS[c.status]}">${MARKS[c.status]}</span><span>${c.message} <code>${c.code}</code></span></li>`)}
  </ul>`;
}

/** The verdict badge. */
export function renderVerdict(verified: boolean): SafeHtml {
  return verified
    ? html`<span class="badge ok" data-testid="verdict">✓ Verified</span>`
    : html`<span class="badge bad" data-testid="verdict">✗ Not verified</span>`;
}

/** Lifecycle details Laurel knows for its own credentials (dates, a public reason, the renewal). */
export interface StandingDetails {
  /** When it was revoked or suspended. */
  changedAt?: string | null;
  /** The replacement credential's page, when it was renewed. */
  renewedByUrl?: string | null;
}

const STANDING_CLASS = {valid: 'ok', 'status-unknown': 'warn', invalid: 'bad', revoked: 'bad', suspended: 'bad', expired: 'bad', 'not-yet-valid': 'bad'} as const;

/** The standing line (Valid, Revoked, Suspended, Expired on …) shown above the checks. */
export function renderStanding(result: VerificationResult, details: StandingDetails = {}): SafeHtml {
  const s = standingOf(result);
  const when = details.changedAt && (s.state === 'revoked' || s.state === 'suspended')
    ? html` <span class="muted">since ${new Date(details.changedAt).toLocaleDateString('en-GB', {year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC'})}</span>` : '';
  return html`<div class="standing ${STANDING_CLASS[s.state]}" data-testid="standing" data-state="${s.state}" role="status">
  <strong>${s.label}</strong>${when}<span class="standing-message">${s.message}</span>
  ${details.renewedByUrl ? html`<a data-testid="renewed-by" href="${details.renewedByUrl}">This credential has been renewed: see the current one</a>` : ''}
</div>`;
}
