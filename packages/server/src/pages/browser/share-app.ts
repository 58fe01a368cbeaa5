/**
 * Copy buttons on the credential page (bundled by pages/browser-bundle.ts and
 * served from /assets: the CSP allows no inline script). Without JavaScript the
 * buttons stay hidden and the values are plain, selectable text.
 *
 * Markup: `<button type="button" data-copy="<element id>" data-copied="<label>" hidden>`;
 * the element is an input or textarea (its value) or any element (its text).
 * `#copy-status` (aria-live) announces the result.
 */

function textOf(target: HTMLElement): string {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ? target.value : (target.textContent ?? '').trim();
}

/** Selects the target's text so the visitor can copy it by hand, and tries the legacy copy command. */
function selectAndCopy(target: HTMLElement): boolean {
  if(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) {
    target.focus();
    target.select();
  } else {
    const range = document.createRange();
    range.selectNodeContents(target);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
  }
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

const status = document.getElementById('copy-status');
const timers = new WeakMap<HTMLButtonElement, number>();

document.querySelectorAll<HTMLButtonElement>('button[data-copy]').forEach(button => {
  const target = document.getElementById(button.dataset.copy ?? '');
  if(!target) return;
  const label = button.textContent ?? '';
  button.hidden = false;
  button.addEventListener('click', async () => {
    const text = textOf(target);
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      copied = selectAndCopy(target);
    }
    const message = copied ? (button.dataset.copied ?? 'Copied') : (button.dataset.failed ?? 'Select the text and copy it');
    button.textContent = copied ? `✓ ${message}` : label;
    button.dataset.state = copied ? 'copied' : 'failed';
    if(status) status.textContent = copied ? `${message}: ${button.getAttribute('aria-label') ?? label}` : message;
    window.clearTimeout(timers.get(button));
    timers.set(button, window.setTimeout(() => {
      button.textContent = label;
    }, 2500));
  });
});
