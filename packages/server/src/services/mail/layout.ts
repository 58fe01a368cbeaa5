/**
 * The branded email around a template: the issuer's logo and colour, the message,
 * a large "View your credential" button and the unsubscribe footer, as simple
 * table-based HTML with inline styles (what Gmail and Outlook render alike), and
 * the plain-text alternative with the same content. Organizations edit the
 * message (templates.ts), never the button or the footer, so neither can be lost.
 */
import {escapeHtml, safeUrl} from '../../pages/html.js';
import {type EmailLocale, type EmailTemplate, renderHtml, renderSubject, renderText, type TemplateValues} from './templates.js';

/** Laurel's colour when an organization has none. */
export const DEFAULT_BRAND_COLOR = '#2457c5';

/** The issuer's look. */
export interface Brand {
  name: string;
  /** Shown only when it is an https URL. */
  logo: string | null;
  /** `#rrggbb`; DEFAULT_BRAND_COLOR when null. */
  color: string | null;
}

/** A rendered message. */
export interface ComposedEmail {
  subject: string;
  html: string;
  text: string;
}

const STRINGS: Record<EmailLocale, {button: string; orOpen: string; why: (issuer: string) => string; unsubscribe: string}> = {
  en: {
    button: 'View your credential',
    orOpen: 'Or open this link:',
    why: issuer => `You received this email because ${issuer} issued you a credential.`,
    unsubscribe: 'Unsubscribe',
  },
  sv: {
    button: 'Visa ditt intyg',
    orOpen: 'Eller öppna den här länken:',
    why: issuer => `Du får det här mejlet eftersom ${issuer} har utfärdat ett intyg till dig.`,
    unsubscribe: 'Avregistrera dig',
  },
};

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). */
export function textColorOn(hex: string): '#ffffff' | '#111111' {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  // Contrast with white (1.05 / (l + 0.05)) against contrast with near-black ((l + 0.05) / 0.0555).
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.0555 ? '#ffffff' : '#111111';
}

const FONT = 'font-family:Arial,Helvetica,sans-serif;';

/** Renders `template` with `values` inside the branded layout. */
export function composeEmail(template: EmailTemplate, values: TemplateValues, brand: Brand, locale: EmailLocale,
  unsubscribeUrl: string): ComposedEmail {
  const s = STRINGS[locale];
  const color = brand.color && /^#[0-9a-f]{6}$/i.test(brand.color) ? brand.color.toLowerCase() : DEFAULT_BRAND_COLOR;
  const onColor = textColorOn(color);
  const subject = renderSubject(template.subject, values);
  const message = renderHtml(template.html, values);
  const credentialUrl = safeUrl(values['credential.url']);
  const logo = brand.logo && brand.logo.startsWith('https://') ? safeUrl(brand.logo) : null;
  const e = escapeHtml;
  const header = logo
    ? `<img src="${e(logo)}" alt="${e(brand.name)}" height="48" style="display:block;border:0;outline:none;height:48px;width:auto;max-width:240px;">`
    : `<span style="${FONT}font-size:20px;line-height:28px;font-weight:bold;color:#1d2433;">${e(brand.name)}</span>`;
  const html = `<!DOCTYPE html>
<html lang="${locale}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light only">
<title>${e(subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f5f7;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">${e(subject)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f7;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border-top:6px solid ${color};border-radius:8px;">
<tr><td style="padding:24px 32px 8px 32px;">${header}</td></tr>
<tr><td style="padding:8px 32px 8px 32px;${FONT}font-size:16px;line-height:24px;color:#1d2433;">
${message}
</td></tr>
<tr><td style="padding:16px 32px 16px 32px;">
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>
<td align="center" bgcolor="${color}" style="border-radius:6px;background-color:${color};">
<a href="${e(credentialUrl)}" target="_blank" data-laurel="credential-button" style="display:inline-block;padding:14px 28px;${FONT}font-size:18px;line-height:24px;font-weight:bold;color:${onColor};text-decoration:none;border-radius:6px;">${e(s.button)}</a>
</td></tr></table>
</td></tr>
<tr><td style="padding:0 32px 24px 32px;${FONT}font-size:13px;line-height:20px;color:#5b6474;">
${e(s.orOpen)} <a href="${e(credentialUrl)}" style="color:#2457c5;word-break:break-all;">${e(credentialUrl)}</a>
</td></tr>
</table>
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;">
<tr><td style="padding:16px 32px;${FONT}font-size:12px;line-height:18px;color:#5b6474;text-align:center;">
${e(s.why(brand.name))} <a href="${e(unsubscribeUrl)}" style="color:#5b6474;text-decoration:underline;">${e(s.unsubscribe)}</a>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  const text = `${renderText(template.text, values).trim()}

${s.button}: ${credentialUrl}

--
${s.why(brand.name.replace(/[\r\n]+/g, ' '))}
${s.unsubscribe}: ${unsubscribeUrl}
`;
  return {subject, html, text};
}
