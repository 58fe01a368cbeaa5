/**
 * User text before layout: sanitizing untrusted strings, filling `{{placeholders}}` and
 * formatting dates for the credential's locale.
 */
import {PLACEHOLDERS, type RenderData} from './template.js';

// C0 and C1 controls (tab and newline included: user values are single-line), DEL, and the
// bidi embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069). An RLO in a
// recipient name would otherwise reverse everything after it; removing the controls keeps
// the letters and only loses a direction hint no certificate needs.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/gu;
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/gu;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Untrusted text made safe to lay out: well-formed, NFC, no controls, single spaces. */
export function sanitizeText(value: string): string {
  return value.replace(LONE_SURROGATE, '').normalize('NFC').replace(BIDI_CONTROLS, '').replace(CONTROLS, ' ').replace(/\s+/gu, ' ').trim();
}

/** Template text (trusted shape, still user-authored): as sanitizeText but keeps `\n` as a line break. */
export function sanitizeMultiline(value: string): string {
  return value.split('\n').map(sanitizeText).join('\n');
}

/** `{{ name }}` with optional spaces; the name is captured. */
export const PLACEHOLDER_PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** A custom field name: `{{fields.<name>}}`. */
export const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const KNOWN = new Set<string>(PLACEHOLDERS);

/** True when `name` (inside the braces) is a known placeholder or a well-formed custom field. */
export function isKnownPlaceholder(name: string): boolean {
  if(KNOWN.has(name)) return true;
  return name.startsWith('fields.') && FIELD_NAME.test(name.slice('fields.'.length));
}

/** The placeholder names used in `text` and any stray `{{` or `}}` left after them. */
export function scanPlaceholders(text: string): {names: string[]; malformed: boolean} {
  const names = [...text.matchAll(PLACEHOLDER_PATTERN)].map(m => m[1]);
  const rest = text.replace(PLACEHOLDER_PATTERN, '');
  return {names, malformed: rest.includes('{{') || rest.includes('}}')};
}

const DATE_FORMATS = {
  en: new Intl.DateTimeFormat('en-GB', {day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC'}),
  sv: new Intl.DateTimeFormat('sv-SE', {day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC'}),
};

/** An ISO 8601 instant as a UTC calendar date in the locale: "27 November 2026", "27 november 2026"; '' when unparseable. */
export function formatDate(iso: string | undefined, locale: RenderData['locale']): string {
  if(!iso) return '';
  const date = new Date(iso);
  if(Number.isNaN(date.getTime())) return '';
  return (DATE_FORMATS[locale] ?? DATE_FORMATS.en).format(date);
}

/** The value of one placeholder, sanitized; unknown names and missing fields give ''. */
export function placeholderValue(name: string, data: RenderData): string {
  let value: string | undefined;
  switch(name) {
    case 'recipient.name': value = data.recipient.name; break;
    case 'achievement.name': value = data.achievement.name; break;
    case 'achievement.description': value = data.achievement.description; break;
    case 'achievement.type': value = data.achievement.type; break;
    case 'issuedOn': value = formatDate(data.issuedOn, data.locale); break;
    case 'validUntil': value = formatDate(data.validUntil, data.locale); break;
    case 'issuer.name': value = data.issuer.name; break;
    case 'issuer.url': value = data.issuer.url; break;
    case 'credential.id': value = data.credential.id; break;
    case 'credential.url': value = data.credential.url; break;
    default:
      if(name.startsWith('fields.')) {
        const key = name.slice('fields.'.length);
        // Own properties only: `fields.constructor` must not reach Object.prototype.
        if(FIELD_NAME.test(key) && Object.hasOwn(data.fields, key)) value = data.fields[key];
      }
  }
  return typeof value === 'string' ? sanitizeText(value) : '';
}

/** Template text with every placeholder replaced by its sanitized value. */
export function fillPlaceholders(template: string, data: RenderData): string {
  return sanitizeMultiline(template.replace(PLACEHOLDER_PATTERN, (_m, name: string) => placeholderValue(name, data)));
}

/** The localized "Verify at <url>" line. */
export function verifyLine(data: RenderData): string {
  const url = sanitizeText(data.credential.url);
  return data.locale === 'sv' ? `Verifiera på ${url}` : `Verify at ${url}`;
}
