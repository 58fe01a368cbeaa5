/**
 * The verifier in the visitor's browser (bundled by pages/browser-bundle.ts).
 *
 * - On a credential page (/c/<id>) it fetches the credential JSON from this
 *   origin, verifies it with the core, and replaces the server's check list with
 *   its own results. The server-rendered list stays when anything goes wrong.
 * - On /verify it checks pasted JSON or a vc+jwt, or a dropped .json/.png/.svg
 *   file or a PDF with the credential attached, entirely in the browser; links and
 *   "Check on the server instead" go to POST /api/v1/verify (for a file, with the
 *   credential taken out of it here: the file itself is never uploaded).
 *
 * The page passes its settings in a `<script type="application/json" id="laurel-verify">`
 * block (CSP: no inline script runs). Untrusted text is only ever set as textContent.
 */
import jsQRModule from 'jsqr';
import {ALL_SUITES, Canonicalizer, type Check, type ControllerResolver, createBitstringStatusCheck, createDocumentLoader, didKeyDocument,
  didWebDocumentUrl, parseJsonStrict, type Resolution, standingOf, type VerificationResult, verifyCredential, verifyVcJwt,
  type VerifyPorts} from '@laurel/core';
// Pure and browser-safe: baked images (OB 3.0 §5.3) and PDF attachments, detected by content.
import {sniffContainer, unbakeFile} from '@laurel/core';
import {checkLine, DEFAULT_LOCALE, isLocale, type Locale, t} from '../i18n.js';
import {classifyInput, UNKNOWN_INPUT_MESSAGE} from '../verify-input.js';

/** The settings a page passes in its data block. */
interface PageData {
  mode: 'credential' | 'verify';
  /** Credential pages: the same-origin URL of the credential JSON. */
  credentialUrl?: string;
  /** This instance's public host: did:web DIDs on it are read from this origin. */
  publicHost: string;
  /** The page's language (credential pages); the browser's results are shown in it. */
  locale?: string;
}

const MARKS = {passed: '✓', failed: '✗', warning: '!', skipped: '–'} as const;

/**
 * DID resolution in the browser. The CSP (default-src 'self') and CORS allow only
 * this origin, so did:web documents are read from here when the DID is this
 * instance's (or this custom domain's); did:key needs no fetch.
 */
function browserResolver(publicHost: string): ControllerResolver {
  const cache = new Map<string, Promise<Resolution>>();
  const resolve = async (id: string): Promise<Resolution> => {
    if(id.startsWith('did:key:')) {
      const document = didKeyDocument(id);
      return document ? {ok: true, document} : {ok: false, message: 'not a valid Ed25519 did:key'};
    }
    if(!id.startsWith('did:web:')) return {ok: false, message: 'only did:key and did:web issuers can be resolved'};
    const url = didWebDocumentUrl(id);
    if(!url) return {ok: false, message: 'not a valid did:web'};
    const host = url.host.toLowerCase();
    if(host !== publicHost.toLowerCase() && host !== location.host.toLowerCase()) {
      return {ok: false, message: `your browser can only read DID documents of this site, not ${url.host}; use “Check on the server instead”`};
    }
    const response = await fetch(url.pathname, {headers: {accept: 'application/did+json, application/json'}, credentials: 'omit'});
    if(!response.ok) return {ok: false, message: `the DID document could not be read (HTTP ${response.status})`};
    const parsed = parseJsonStrict(await response.text());
    return parsed.ok ? {ok: true, document: parsed.value as never} : {ok: false, message: parsed.problem.message};
  };
  return id => {
    let hit = cache.get(id);
    if(!hit) {
      hit = resolve(id).catch(error => ({ok: false, message: `the DID document could not be read: ${(error as Error).message}`}));
      cache.set(id, hit);
    }
    return hit;
  };
}

function browserPorts(publicHost: string): VerifyPorts {
  const base: VerifyPorts = {canonicalizer: new Canonicalizer(createDocumentLoader()), resolveController: browserResolver(publicHost),
    now: () => new Date(), suites: ALL_SUITES};
  // Status lists, like DID documents, are read from this origin only (CSP connect-src 'self').
  const checkStatus = createBitstringStatusCheck({
    fetchStatusList: async text => {
      const url = new URL(text);
      const host = url.host.toLowerCase();
      if(host !== publicHost.toLowerCase() && host !== location.host.toLowerCase()) {
        throw new Error(`your browser can only read status lists of this site, not ${url.host}; use “Check on the server instead”`);
      }
      const response = await fetch(url.pathname, {headers: {accept: 'application/vc+ld+json, application/json'}, credentials: 'omit', cache: 'no-cache'});
      if(!response.ok) throw new Error(`the status list could not be read (HTTP ${response.status})`);
      const parsed = parseJsonStrict(await response.text());
      if(!parsed.ok) throw new Error(parsed.problem.message);
      return parsed.value;
    },
    verifyListCredential: vc => verifyCredential(vc, base),
    now: () => new Date(),
  });
  return {...base, checkStatus};
}

const STANDING_CLASS: Record<string, string> = {valid: 'ok', 'status-unknown': 'warn'};

/** The same markup as pages/check-list.ts renderStanding (without the server's lifecycle details). */
function standingBox(result: VerificationResult, locale: Locale): HTMLDivElement {
  const s = standingOf(result);
  return el('div', {class: `standing ${STANDING_CLASS[s.state] ?? 'bad'}`, 'data-testid': 'standing', 'data-state': s.state, role: 'status'},
    el('strong', {}, t(locale, `standing.${s.state}`)),
    // As renderStanding: a plain sentence per state, except that a revocation or suspension keeps
    // the core's message (in English), which is all that is known of it here.
    el('span', {class: 'standing-message'},
      (s.state === 'revoked' || s.state === 'suspended') && locale === 'en' ? s.message : t(locale, `standing.${s.state}.message`)));
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for(const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** The same markup as pages/check-list.ts renderCheckList: the code's line in the page's language, then the check's own message. */
function checkItems(checks: readonly Check[], locale: Locale): HTMLLIElement[] {
  return checks.map(c => {
    const line = checkLine(locale, c.code);
    const detail = line && c.message && c.message !== line
      ? [el('span', {class: 'check-detail', ...(locale === 'en' ? {} : {lang: 'en'})}, c.message)] : [];
    return el('li', {class: c.status, 'data-code': c.code},
      el('span', {class: 'mark', role: 'img', 'aria-label': t(locale, `checks.${c.status}`)}, MARKS[c.status]),
      el('span', {}, `${line ?? c.message} `, el('code', {}, c.code), ...detail));
  });
}

function verdictBadge(verified: boolean, locale: Locale = DEFAULT_LOCALE): HTMLSpanElement {
  return verified
    ? el('span', {class: 'badge ok', 'data-testid': 'verdict'}, `✓ ${t(locale, 'verdict.verified')}`)
    : el('span', {class: 'badge bad', 'data-testid': 'verdict'}, `✗ ${t(locale, 'verdict.notVerified')}`);
}

/** /c/<id>: verify again here and show this browser's results in place of the server's. */
async function recheckCredentialPage(data: PageData): Promise<void> {
  const line = document.querySelector<HTMLElement>('[data-testid="browser-check"]');
  const list = document.querySelector<HTMLElement>('ul.checks');
  const verdictLine = document.querySelector<HTMLElement>('[data-testid="verdict-line"]');
  if(!line || !list || !verdictLine || !data.credentialUrl) return;
  const locale: Locale = isLocale(data.locale) ? data.locale : DEFAULT_LOCALE;
  line.textContent = t(locale, 'checks.browser.running');
  try {
    const response = await fetch(data.credentialUrl, {headers: {accept: 'application/ld+json'}, credentials: 'omit'});
    if(!response.ok) throw new Error(`HTTP ${response.status}`);
    const parsed = parseJsonStrict(await response.text());
    if(!parsed.ok) throw new Error(parsed.problem.message);
    const result = await verifyCredential(parsed.value, browserPorts(data.publicHost));
    const serverVerified = verdictLine.querySelector('.badge.ok') !== null;
    list.replaceChildren(...checkItems(result.checks, locale));
    verdictLine.replaceChildren(verdictBadge(result.verified, locale));
    // The standing follows the browser's result. When it agrees with the server's, the server's
    // line stays: it knows the lifecycle details (dates, a public reason, the renewal link).
    const standing = document.querySelector<HTMLElement>('[data-testid="standing"]');
    const fresh = standingBox(result, locale);
    if(standing && standing.dataset.state !== fresh.dataset.state) {
      standing.className = fresh.className;
      standing.dataset.state = fresh.dataset.state;
      standing.querySelector('strong')?.replaceWith(fresh.querySelector('strong')!);
      standing.querySelector('.standing-message')?.replaceWith(fresh.querySelector('.standing-message')!);
    }
    line.textContent = result.verified === serverVerified
      ? t(locale, 'checks.browser.done')
      : t(locale, 'checks.browser.differs', {server: t(locale, serverVerified ? 'verdict.verified' : 'verdict.notVerified')});
    line.dataset.browser = 'checked';
  } catch(error) {
    console.error('Laurel: browser verification failed', error);
    line.textContent = t(locale, 'checks.browser.failed');
    line.dataset.browser = 'failed';
  }
}

/** /verify: browser-side checks of pasted text and dropped files; links and server checks through the API. */
function setUpVerifyPage(data: PageData): void {
  const locale: Locale = isLocale(data.locale) ? data.locale : DEFAULT_LOCALE;
  const form = document.getElementById('verify-form') as HTMLFormElement | null;
  const input = document.getElementById('verify-input') as HTMLTextAreaElement | null;
  const resultBox = document.getElementById('verify-result');
  const drop = document.getElementById('verify-drop');
  const file = document.getElementById('verify-file') as HTMLInputElement | null;
  if(!form || !input || !resultBox) return;
  const ports = browserPorts(data.publicHost);

  const showError = (message: string) => {
    resultBox.hidden = false;
    resultBox.replaceChildren(el('h2', {}, t(locale, 'verify.result')), el('p', {class: 'badge bad', 'data-testid': 'input-error'}, message));
  };
  const showResult = (result: VerificationResult, where: string) => {
    resultBox.hidden = false;
    resultBox.replaceChildren(el('h2', {}, t(locale, 'verify.result')), el('p', {'data-testid': 'verdict-line'}, verdictBadge(result.verified, locale)),
      standingBox(result, locale), el('ul', {class: 'checks', 'data-testid': 'checks'}, ...checkItems(result.checks, locale)),
      el('p', {class: 'note muted', 'data-testid': 'result-where'}, where));
  };
  const busy = (message: string) => {
    resultBox.hidden = false;
    resultBox.replaceChildren(el('p', {class: 'muted'}, message));
  };

  const askServer = async (body: Record<string, unknown>, where: string) => {
    busy(t(locale, 'verify.js.askingServer'));
    try {
      const response = await fetch('/api/v1/verify', {method: 'POST', headers: {'content-type': 'application/json', accept: 'application/json'},
        body: JSON.stringify(body), credentials: 'omit'});
      const json = await response.json() as VerificationResult & {input?: {error?: string}; detail?: string};
      if(!response.ok) return showError(json.detail ?? `The server answered HTTP ${response.status}.`);
      if(json.input?.error) return showError(json.input.error);
      showResult(json, where);
    } catch(error) {
      showError(t(locale, 'verify.js.serverUnreachable', {error: (error as Error).message}));
    }
  };

  const check = async (onServer: boolean) => {
    const kind = classifyInput(input.value);
    if(kind.kind === 'empty') return showError(t(locale, 'verify.js.empty'));
    if(kind.kind === 'unknown') return showError(UNKNOWN_INPUT_MESSAGE);
    if(kind.kind === 'url') return askServer({url: kind.url}, t(locale, 'verify.js.fetchedLink'));
    let credential: unknown;
    if(kind.kind === 'credential') {
      const parsed = parseJsonStrict(kind.text);
      if(!parsed.ok) return showError(t(locale, 'verify.js.notJson', {error: parsed.problem.message}));
      credential = parsed.value;
    }
    if(onServer) return askServer(kind.kind === 'jwt' ? {jwt: kind.jwt} : {credential}, t(locale, 'verify.js.onRequest'));
    busy(t(locale, 'verify.js.checking'));
    try {
      const result = kind.kind === 'jwt' ? await verifyVcJwt(kind.jwt, ports) : await verifyCredential(credential, ports);
      showResult(result, t(locale, 'verify.js.inBrowser'));
    } catch(error) {
      console.error('Laurel: browser verification failed', error);
      showError(t(locale, 'verify.js.browserFailed', {error: (error as Error).message}));
    }
  };

  form.addEventListener('submit', event => {
    event.preventDefault();
    const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
    void check(submitter?.value === 'server');
  });

  const readFile = async (f: File) => {
    const bytes = new Uint8Array(await f.arrayBuffer());
    let text: string;
    // By content, not by name: a PNG or SVG badge, or a PDF certificate with the credential attached.
    if(sniffContainer(bytes)) {
      busy(t(locale, 'verify.js.reading', {file: f.name}));
      const unbaked = await unbakeFile(bytes);
      if(!unbaked.ok) return showError(`${f.name}: ${unbaked.problem.message} (${unbaked.problem.code})`);
      text = unbaked.text;
    } else {
      text = new TextDecoder().decode(bytes);
    }
    input.value = text.trim();
    await check(false);
  };

  setUpScanner(locale, text => {
    input.value = text;
    void check(false);
  });

  if(drop && file) {
    // The file picker and drop zone need JavaScript; the no-JS form takes pasted text only.
    drop.hidden = false;
    file.addEventListener('change', () => void (file.files?.[0] && readFile(file.files[0])));
    drop.addEventListener('dragover', event => {
      event.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', event => {
      event.preventDefault();
      drop.classList.remove('over');
      const f = event.dataTransfer?.files[0];
      if(f) void readFile(f);
    });
  }
}

/**
 * QR scanning with the camera: frames are decoded in the browser (jsQR) and the
 * first code found fills the input (a credential link, JSON or a vc+jwt). Shown
 * only where the browser offers a camera API (a secure context).
 */
// jsqr is CommonJS with a default export: unwrap it whichever way the bundler hands it over.
const jsQR = ((jsQRModule as unknown as {default?: unknown}).default ?? jsQRModule) as unknown as
  (data: Uint8ClampedArray, width: number, height: number) => {data: string} | null;

function setUpScanner(locale: Locale, onCode: (text: string) => void): void {
  const row = document.getElementById('verify-scan-row');
  const button = document.getElementById('verify-scan') as HTMLButtonElement | null;
  const video = document.getElementById('verify-video') as HTMLVideoElement | null;
  const status = document.getElementById('verify-scan-status');
  if(!row || !button || !video || !status || !navigator.mediaDevices?.getUserMedia) return;
  row.hidden = false;
  let stream: MediaStream | null = null;
  const stop = () => {
    stream?.getTracks().forEach(track => track.stop());
    stream = null;
    video.hidden = true;
    button.disabled = false;
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = t(locale, 'verify.js.cameraStarting');
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}, audio: false});
    } catch(error) {
      status.textContent = t(locale, 'verify.js.cameraUnavailable', {error: (error as Error).message});
      button.disabled = false;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    status.textContent = t(locale, 'verify.js.pointCamera');
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', {willReadFrequently: true});
    const deadline = Date.now() + 60_000;
    const scan = () => {
      if(!stream) return;
      if(Date.now() > deadline) {
        status.textContent = t(locale, 'verify.js.noQr');
        return stop();
      }
      if(context && video.videoWidth > 0) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        const image = context.getImageData(0, 0, canvas.width, canvas.height);
        const code = jsQR(image.data, image.width, image.height);
        if(code?.data) {
          status.textContent = t(locale, 'verify.js.qrRead');
          stop();
          return onCode(code.data.trim());
        }
      }
      requestAnimationFrame(scan);
    };
    requestAnimationFrame(scan);
  });
}

function readPageData(): PageData | null {
  const block = document.getElementById('laurel-verify');
  if(!block?.textContent) return null;
  try {
    return JSON.parse(block.textContent) as PageData;
  } catch {
    return null;
  }
}

const data = readPageData();
if(data?.mode === 'credential') void recheckCredentialPage(data);
else if(data?.mode === 'verify') setUpVerifyPage(data);
