/**
 * An issuer's brand on the public pages: its colours become CSS custom properties,
 * each paired with a text colour that keeps WCAG 2.2 AA contrast (4.5:1), and a
 * link colour that stays readable on white.
 */

/** Laurel's own blue, for issuers without a brand colour. */
export const DEFAULT_BRAND = '#2457c5';
const HEX = /^#[0-9a-f]{6}$/i;

/** The colour when it is a `#rrggbb` value, else null (anything else never reaches CSS). */
export function parseHexColor(value: unknown): string | null {
  return typeof value === 'string' && HEX.test(value) ? value.toLowerCase() : null;
}

function channels(hex: string): [number, number, number] {
  return [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** WCAG 2.2 relative luminance of a `#rrggbb` colour. */
export function relativeLuminance(hex: string): number {
  const [r, g, b] = channels(hex).map(v => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two `#rrggbb` colours (1–21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever contrasts more with `background` (every colour reaches 4.5:1 with one of them). */
export function readableTextOn(background: string): '#000000' | '#ffffff' {
  return contrastRatio(background, '#ffffff') >= contrastRatio(background, '#000000') ? '#ffffff' : '#000000';
}

/** `hex` darkened step by step until it reaches `ratio` against white (links and outlines on white cards). */
export function darkenForWhite(hex: string, ratio = 4.5): string {
  let [r, g, b] = channels(hex);
  let out = hex.toLowerCase();
  for(let i = 0; i < 40 && contrastRatio(out, '#ffffff') < ratio; i++) {
    [r, g, b] = [r, g, b].map(v => Math.floor(v * 0.9));
    out = `#${[r, g, b].map(v => v.toString(16).padStart(2, '0')).join('')}`;
  }
  return out;
}

/** An issuer's colours as the page uses them. */
export interface Theme {
  /** Background of the branded header band. */
  brand: string;
  /** Text on `brand`. */
  onBrand: string;
  /** Accent stripe (the second brand colour, else the first). */
  accent: string;
  /** Text on `accent`. */
  onAccent: string;
  /** Links and buttons on white. */
  link: string;
}

/** The theme for an issuer's colours (invalid or missing ones fall back to Laurel's). */
export function themeFor(primary?: string | null, secondary?: string | null): Theme {
  const brand = parseHexColor(primary) ?? DEFAULT_BRAND;
  const accent = parseHexColor(secondary) ?? brand;
  return {brand, onBrand: readableTextOn(brand), accent, onAccent: readableTextOn(accent), link: darkenForWhite(brand)};
}

/** The theme as CSS custom properties (every value a validated #rrggbb: nothing else can reach the style sheet). */
export function themeCss(theme: Theme): string {
  const v = (x: string) => parseHexColor(x) ?? DEFAULT_BRAND;
  return `:root{--brand:${v(theme.brand)};--on-brand:${v(theme.onBrand)};--accent:${v(theme.accent)};--on-accent:${v(theme.onAccent)};--link:${v(theme.link)}}`;
}
