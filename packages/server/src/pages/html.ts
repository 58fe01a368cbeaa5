/** HTML helpers for server-rendered pages: everything interpolated is escaped. */

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

/** The page shell shared by public pages. */
export function layout(title: string, body: SafeHtml, head: SafeHtml = html``): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title>
${head}
<style>
:root{--ink:#1d2433;--muted:#5b6474;--ok:#12805c;--bad:#b42318;--warn:#b54708;--line:#e4e7ec;--bg:#f7f8fa}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:760px;margin:0 auto;padding:32px 20px}
.card{background:#fff;border:1px solid var(--line);border-radius:14px;padding:28px;margin-bottom:20px}
h1{font-size:1.7rem;margin:.2rem 0 .4rem}h2{font-size:1.1rem;margin:0 0 .8rem}
.muted{color:var(--muted)}.badge{display:inline-flex;gap:.4rem;align-items:center;font-weight:600;border-radius:999px;padding:.3rem .9rem}
.badge.ok{background:#e7f6ef;color:var(--ok)}.badge.bad{background:#fdecea;color:var(--bad)}
.standing{display:flex;flex-wrap:wrap;gap:.3rem .6rem;align-items:baseline;border-radius:.6rem;padding:.7rem 1rem;margin:.8rem 0;border:1px solid var(--line)}
.standing.ok{background:#e7f6ef;color:var(--ok)}.standing.bad{background:#fdecea;color:var(--bad)}.standing.warn{background:#fef6e7;color:var(--warn)}
.standing strong{font-size:1.1rem}.standing-message{color:var(--ink);flex-basis:100%}.standing a{flex-basis:100%}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.2rem;margin:0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
ul.checks{list-style:none;padding:0;margin:0}ul.checks li{display:grid;grid-template-columns:1.6rem 1fr;padding:.45rem 0;border-top:1px solid var(--line)}
ul.checks li:first-child{border-top:0}.mark{font-weight:700}.passed .mark{color:var(--ok)}.failed .mark{color:var(--bad)}.warning .mark{color:var(--warn)}.skipped .mark{color:var(--muted)}
code{font-size:.8rem;color:var(--muted)}.note{font-size:.9rem;margin:.8rem 0 0}
textarea{width:100%;min-height:10rem;font:13px/1.4 ui-monospace,monospace;padding:.6rem;border:1px solid var(--line);border-radius:8px}
input[type=url]{width:100%;padding:.5rem;border:1px solid var(--line);border-radius:8px}button{font:inherit;padding:.45rem 1rem;border-radius:8px;border:1px solid #2457c5;background:#2457c5;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#2457c5}.drop{border:2px dashed var(--line);border-radius:10px;padding:1rem;text-align:center;margin:.8rem 0}.drop.over{border-color:#2457c5;background:#eef3fd}a{color:#2457c5}footer{color:var(--muted);font-size:.85rem;text-align:center}
</style>
</head>
<body>
<main>
${body}
<footer>Verified by <a href="https://www.w3.org/TR/vc-data-model-2.0/">W3C Verifiable Credentials</a> and <a href="https://www.imsglobal.org/spec/ob/v3p0">Open Badges 3.0</a> · Laurel</footer>
</main>
</body>
</html>`.value;
}
