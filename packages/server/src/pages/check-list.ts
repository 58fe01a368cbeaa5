/** The list of verification checks, as every page shows it: a mark, a plain-language line, the code and the details. */
import {type Check, standingOf, type VerificationResult} from '@laurel/core';
import {html, type SafeHtml} from './html.js';
import {checkLine, DEFAULT_LOCALE, formatDate, type Locale, t} from './i18n.js';

/** The mark shown for each status. */
export const MARKS = {passed: '✓', failed: '✗', warning: '!', skipped: '–'} as const;
/** The accessible label of each mark (English; `statusLabel` for other locales). */
export const LABELS = {passed: 'Passed', failed: 'Failed', warning: 'Warning', skipped: 'Not checked'} as const;

/** The accessible label of a status in a locale. */
export function statusLabel(locale: Locale, status: Check['status']): string {
  return t(locale, `checks.${status}`);
}

/**
 * The `<ul class="checks">` of a result; pages/browser/verify-app.ts renders the same
 * markup. Each item leads with the code's plain-language line in the page's language;
 * the check's own message (English, with specifics such as the domain or a public
 * reason) follows as its detail.
 */
export function renderCheckList(checks: readonly Check[], locale: Locale = DEFAULT_LOCALE): SafeHtml {
  return html`<ul class="checks" data-testid="checks">
    ${checks.map(c => {
      const line = checkLine(locale, c.code);
      return html`<li class="${c.status}" data-code="${c.code}"><span class="mark" role="img" aria-label="${statusLabel(locale, c.status)}">${MARKS[c.status]}</span><span>${line ?? c.message} <code>${c.code}</code>${line && c.message && c.message !== line ? html`<span class="check-detail"${locale === 'en' ? '' : html` lang="en"`}>${c.message}</span>` : ''}</span></li>`;
    })}
  </ul>`;
}

/** The verdict badge. */
export function renderVerdict(verified: boolean, locale: Locale = DEFAULT_LOCALE): SafeHtml {
  return verified
    ? html`<span class="badge ok" data-testid="verdict">✓ ${t(locale, 'verdict.verified')}</span>`
    : html`<span class="badge bad" data-testid="verdict">✗ ${t(locale, 'verdict.notVerified')}</span>`;
}

/** Lifecycle details Laurel knows for its own credentials (dates, a public reason, the renewal). */
export interface StandingDetails {
  /** When it was revoked or suspended. */
  changedAt?: string | null;
  /** The replacement credential's page, when it was renewed. */
  renewedByUrl?: string | null;
  /** The issuer's public reason for a revocation or suspension. */
  reason?: string | null;
}

const STANDING_CLASS = {valid: 'ok', 'status-unknown': 'warn', invalid: 'bad', revoked: 'bad', suspended: 'bad', expired: 'bad', 'not-yet-valid': 'bad'} as const;

/** The standing line (Valid, Revoked, Suspended, Expired on …) shown above the checks. */
export function renderStanding(result: VerificationResult, details: StandingDetails = {}, locale: Locale = DEFAULT_LOCALE): SafeHtml {
  const s = standingOf(result);
  const when = details.changedAt && (s.state === 'revoked' || s.state === 'suspended')
    ? html` <span class="muted">${t(locale, 'standing.since', {date: formatDate(locale, details.changedAt)})}</span>` : '';
  // A plain sentence per state in the page's language; the specifics (dates, the failed
  // checks' details) are in the page's details and the check list. The issuer's public
  // reason is quoted. Without lifecycle details (e.g. /verify), the core's message keeps
  // whatever it knows about a revocation or suspension.
  const lifecycle = s.state === 'revoked' || s.state === 'suspended';
  const reason = details.reason && lifecycle ? details.reason : null;
  const message = lifecycle && !details.changedAt && !reason && locale === 'en' ? s.message
    : [t(locale, `standing.${s.state}.message`), reason ? t(locale, 'standing.reason', {reason}) : ''].filter(Boolean).join(' ');
  return html`<div class="standing ${STANDING_CLASS[s.state]}" data-testid="standing" data-state="${s.state}" role="status">
  <strong>${t(locale, `standing.${s.state}`)}</strong>${when}<span class="standing-message">${message}</span>
  ${details.renewedByUrl ? html`<a data-testid="renewed-by" href="${details.renewedByUrl}">${t(locale, 'standing.renewed')}</a>` : ''}
</div>`;
}
