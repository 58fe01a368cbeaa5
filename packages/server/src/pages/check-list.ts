/** The list of verification checks, as every page shows it: a mark, the message and the code. */
import type {Check} from '@laurel/core';
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
