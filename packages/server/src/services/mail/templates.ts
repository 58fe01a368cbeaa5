/**
 * Email templates: the built-in English and Swedish ones, and the `{{variable}}`
 * renderer. Deliberately not a template engine: a template is text with named
 * holes, nothing in it runs, and every value is escaped for where it lands
 * (HTML-escaped in the HTML body, CR/LF neutralised in the subject).
 */
import type {EmailKind} from '../../db/email-repo.js';
import type {FieldProblem} from '../../errors.js';
import {escapeHtml} from '../../pages/html.js';

export type {EmailKind} from '../../db/email-repo.js';

/** The kinds of email, in the order the API lists them. */
export const EMAIL_KINDS: readonly EmailKind[] = ['credential_issued', 'expiry_reminder'];

/** The locales with built-in templates and layout strings. */
export const EMAIL_LOCALES = ['en', 'sv'] as const;
export type EmailLocale = typeof EMAIL_LOCALES[number];

/** The variables a template may use. Values are the recipient's and issuer's own words: never trusted. */
export const TEMPLATE_VARIABLES = ['recipient.name', 'achievement.name', 'achievement.description', 'issuer.name', 'issuer.url',
  'credential.url', 'validUntil'] as const;
export type TemplateVariable = typeof TEMPLATE_VARIABLES[number];
export type TemplateValues = Record<TemplateVariable, string>;

/** A subject with its two bodies. `html` is the message part of the branded layout (layout.ts). */
export interface EmailTemplate {
  subject: string;
  html: string;
  text: string;
}

/** Size limits of an organization's template, in characters. */
export const TEMPLATE_LIMITS = {subject: 300, html: 50_000, text: 20_000} as const;

/** `{{ name }}`: a hole. Anything between the braces that is not a known name is refused at save time. */
const HOLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

const KNOWN = new Set<string>(TEMPLATE_VARIABLES);

/** The locale to write in: `sv`, `sv-SE` and `sv_SE` are Swedish; anything else (or nothing) English. */
export function normaliseLocale(locale: string | null | undefined): EmailLocale {
  const base = (locale ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return (EMAIL_LOCALES as readonly string[]).includes(base) ? base as EmailLocale : 'en';
}

/** Whether `value` is one of the locales with templates. */
export function isEmailLocale(value: string): value is EmailLocale {
  return (EMAIL_LOCALES as readonly string[]).includes(value);
}

/** Whether `value` is a kind of email. */
export function isEmailKind(value: string): value is EmailKind {
  return (EMAIL_KINDS as readonly string[]).includes(value);
}

/**
 * Checks a template an organization wants to save: sizes, known variables (one problem per
 * unknown one), and no active content in the HTML part. Returns every problem found.
 */
export function checkTemplate(t: EmailTemplate): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for(const field of ['subject', 'html', 'text'] as const) {
    const value = t[field];
    if(value.trim() === '') problems.push({path: field, message: 'must not be empty'});
    if(value.length > TEMPLATE_LIMITS[field]) problems.push({path: field, message: `must be at most ${TEMPLATE_LIMITS[field]} characters (got ${value.length})`});
    const seen = new Set<string>();
    for(const [, name] of value.matchAll(HOLE)) {
      if(KNOWN.has(name) || seen.has(name)) continue;
      seen.add(name);
      problems.push({path: field, message: `unknown variable {{${name}}}; known: ${TEMPLATE_VARIABLES.map(v => `{{${v}}}`).join(', ')}`});
    }
  }
  if(/[\r\n]/.test(t.subject)) problems.push({path: 'subject', message: 'must be one line'});
  // Not a sanitizer (the organization writes its own emails): a guard against pasting active content,
  // which mail clients strip or flag as phishing anyway.
  if(/<\s*\/?\s*(script|iframe|object|embed|form|input|base|meta|link|frame|frameset|applet)\b/i.test(t.html)) {
    problems.push({path: 'html', message: 'must not contain <script>, <iframe>, <object>, <embed>, <form>, <input>, <base>, <meta> or <link> elements'});
  }
  if(/<[^>]*\son[a-z]+\s*=/i.test(t.html)) problems.push({path: 'html', message: 'must not contain event handler attributes (on…=)'});
  if(/(=\s*["']?|url\(\s*["']?)\s*(javascript|vbscript|data)\s*:/i.test(t.html)) {
    problems.push({path: 'html', message: 'must not contain javascript:, vbscript: or data: URLs'});
  }
  return problems;
}

/** Fills the holes with `escape(value)`; a hole with an unknown name renders empty (saved templates have none). */
function fill(source: string, values: TemplateValues, escape: (value: string) => string): string {
  return source.replace(HOLE, (_, name: string) => KNOWN.has(name) ? escape(values[name as TemplateVariable] ?? '') : '');
}

/** Control characters, including CR, LF, tab, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** The subject: one line whatever the values hold (no header can be smuggled in), at most 250 characters. */
export function renderSubject(source: string, values: TemplateValues): string {
  const line = fill(source, values, v => v.replace(CONTROL, ' ')).replace(CONTROL, ' ').replace(/\s{2,}/g, ' ').trim();
  return line.length > 250 ? `${line.slice(0, 249)}…` : line;
}

/** The HTML part: every value HTML-escaped (element content and quoted attributes alike). */
export function renderHtml(source: string, values: TemplateValues): string {
  return fill(source, values, escapeHtml);
}

/** The plain-text part: values as they are, minus control characters other than line breaks. */
export function renderText(source: string, values: TemplateValues): string {
  // eslint-disable-next-line no-control-regex
  return fill(source, values, v => v.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ''));
}

/** The built-in templates (used unless an organization saved its own). */
const DEFAULTS: Record<EmailKind, Record<EmailLocale, EmailTemplate>> = {
  credential_issued: {
    en: {
      subject: '{{issuer.name}} issued you a credential: {{achievement.name}}',
      html: '<p>Hello {{recipient.name}},</p>\n'
        + '<p>{{issuer.name}} has issued you the credential <strong>{{achievement.name}}</strong>.</p>\n'
        + '<p>{{achievement.description}}</p>\n'
        + '<p>It is a verifiable digital credential (Open Badges 3.0): anyone you share it with can check that it is genuine.</p>',
      text: 'Hello {{recipient.name}},\n\n'
        + '{{issuer.name}} has issued you the credential "{{achievement.name}}".\n\n'
        + '{{achievement.description}}\n\n'
        + 'It is a verifiable digital credential (Open Badges 3.0): anyone you share it with can check that it is genuine.',
    },
    sv: {
      subject: '{{issuer.name}} har utfärdat ett intyg till dig: {{achievement.name}}',
      html: '<p>Hej {{recipient.name}}!</p>\n'
        + '<p>{{issuer.name}} har utfärdat intyget <strong>{{achievement.name}}</strong> till dig.</p>\n'
        + '<p>{{achievement.description}}</p>\n'
        + '<p>Det är ett verifierbart digitalt intyg (Open Badges 3.0): alla som du delar det med kan kontrollera att det är äkta.</p>',
      text: 'Hej {{recipient.name}}!\n\n'
        + '{{issuer.name}} har utfärdat intyget "{{achievement.name}}" till dig.\n\n'
        + '{{achievement.description}}\n\n'
        + 'Det är ett verifierbart digitalt intyg (Open Badges 3.0): alla som du delar det med kan kontrollera att det är äkta.',
    },
  },
  expiry_reminder: {
    en: {
      subject: 'Your credential {{achievement.name}} expires on {{validUntil}}',
      html: '<p>Hello {{recipient.name}},</p>\n'
        + '<p>Your credential <strong>{{achievement.name}}</strong> from {{issuer.name}} expires on {{validUntil}}.</p>\n'
        + '<p>If you need to renew it, please contact {{issuer.name}}.</p>',
      text: 'Hello {{recipient.name}},\n\n'
        + 'Your credential "{{achievement.name}}" from {{issuer.name}} expires on {{validUntil}}.\n\n'
        + 'If you need to renew it, please contact {{issuer.name}}.',
    },
    sv: {
      subject: 'Ditt intyg {{achievement.name}} upphör att gälla {{validUntil}}',
      html: '<p>Hej {{recipient.name}}!</p>\n'
        + '<p>Ditt intyg <strong>{{achievement.name}}</strong> från {{issuer.name}} upphör att gälla {{validUntil}}.</p>\n'
        + '<p>Kontakta {{issuer.name}} om du behöver förnya det.</p>',
      text: 'Hej {{recipient.name}}!\n\n'
        + 'Ditt intyg "{{achievement.name}}" från {{issuer.name}} upphör att gälla {{validUntil}}.\n\n'
        + 'Kontakta {{issuer.name}} om du behöver förnya det.',
    },
  },
};

/** The built-in template of a kind and locale. */
export function defaultTemplate(kind: EmailKind, locale: EmailLocale): EmailTemplate {
  return DEFAULTS[kind][locale];
}

/** A date as the recipient reads it (`31 mars 2027`, `March 31, 2027`), in UTC like the credential. */
export function formatDate(date: Date | null, locale: EmailLocale): string {
  if(!date) return '';
  return new Intl.DateTimeFormat(locale, {dateStyle: 'long', timeZone: 'UTC'}).format(date);
}

/** What a sign-in email says (recipient portfolio). */
export interface MagicLinkEmailInput {
  /** The link: `<public origin>/portfolio/auth?token=…`. */
  url: string;
  /** The instance's host name, so the reader knows where the link leads. */
  host: string;
  /** How long the link works. */
  minutes: number;
}

const MAGIC_LINK_STRINGS: Record<EmailLocale, {subject: (host: string) => string; intro: (host: string) => string; button: string;
  expiry: (minutes: number) => string; ignore: string}> = {
  en: {
    subject: host => `Sign in to your credentials on ${host}`,
    intro: host => `Someone (hopefully you) asked to sign in to the credential portfolio on ${host} with this email address.`,
    button: 'Sign in',
    expiry: minutes => `The link works once and expires in ${minutes} minutes.`,
    ignore: 'If you did not ask for it, you can ignore this email: nothing happens until the link is used.',
  },
  sv: {
    subject: host => `Logga in till dina intyg på ${host}`,
    intro: host => `Någon (förhoppningsvis du) har bett om att få logga in i intygsportföljen på ${host} med den här e-postadressen.`,
    button: 'Logga in',
    expiry: minutes => `Länken fungerar en gång och slutar gälla om ${minutes} minuter.`,
    ignore: 'Om du inte har bett om den kan du strunta i det här mejlet: ingenting händer förrän länken används.',
  },
};

/**
 * The sign-in email of the recipient portfolio: plain text and simple HTML, no images,
 * no tracking, the link written out in full as well as a button. Every value is escaped
 * for where it lands (HTML-escaped; the subject is one line).
 */
export function magicLinkEmail(locale: EmailLocale, input: MagicLinkEmailInput): EmailTemplate {
  const s = MAGIC_LINK_STRINGS[locale];
  const host = input.host.replace(CONTROL, '');
  const url = escapeHtml(input.url);
  const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(s.subject(host))}</title></head>`
    + '<body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;color:#1d2433;background:#ffffff">'
    + `<p>${escapeHtml(s.intro(host))}</p>`
    + `<p><a href="${url}" style="display:inline-block;padding:12px 22px;border-radius:6px;background:#2457c5;color:#ffffff;`
    + `text-decoration:none;font-weight:bold">${escapeHtml(s.button)}</a></p>`
    + `<p style="font-size:14px;word-break:break-all"><a href="${url}" style="color:#2457c5">${url}</a></p>`
    + `<p style="font-size:14px;color:#5b6474">${escapeHtml(s.expiry(input.minutes))} ${escapeHtml(s.ignore)}</p>`
    + '</body></html>';
  const text = `${s.intro(host)}\n\n${s.button}: ${input.url}\n\n${s.expiry(input.minutes)}\n${s.ignore}\n`;
  return {subject: s.subject(host).replace(CONTROL, ' '), html, text};
}
