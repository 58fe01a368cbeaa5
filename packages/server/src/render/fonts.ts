/**
 * The vendored fonts (assets/fonts/SOURCES.md), parsed once per process with fontkit, and
 * the fallback chain: role font, then DejaVu Sans, then Noto Emoji (monochrome).
 */
import {readFileSync} from 'node:fs';
import * as fontkit from 'fontkit';
import type {TextBlock} from './template.js';

export type FontRole = TextBlock['font'];
export type FontWeightName = TextBlock['weight'];

/** One loaded font face. `key` is stable and names it in caches and in the PDF. */
export interface FontFace {
  key: string;
  font: fontkit.Font;
  unitsPerEm: number;
  ascent: number;
  descent: number;
  /** Glyph outlines in font units, by glyph id (filled on first use). */
  outlines: Map<number, fontkit.PathCommand[]>;
  /** Lay-outs of short strings (words), by text; bounded. */
  layouts: Map<string, ShapedText>;
  /** Code point → has a glyph. */
  coverage: Map<number, boolean>;
}

/** A string shaped by one face: glyph ids, code points and advances in font units (kerning applied). */
export interface ShapedText {
  ids: number[];
  codePoints: number[][];
  advances: number[];
  /** x offsets within the advance, font units. */
  offsets: number[];
  width: number;
}

const FILES: Record<string, string> = {
  'sans-regular': 'Inter-Regular.ttf',
  'sans-semibold': 'Inter-SemiBold.ttf',
  'sans-bold': 'Inter-Bold.ttf',
  'serif-regular': 'EBGaramond-Regular.ttf',
  'serif-semibold': 'EBGaramond-SemiBold.ttf',
  'serif-bold': 'EBGaramond-SemiBold.ttf',
  'display-regular': 'PlayfairDisplay-Regular.ttf',
  'display-semibold': 'PlayfairDisplay-Bold.ttf',
  'display-bold': 'PlayfairDisplay-Bold.ttf',
  'script-regular': 'GreatVibes-Regular.ttf',
  'script-semibold': 'GreatVibes-Regular.ttf',
  'script-bold': 'GreatVibes-Regular.ttf',
  dejavu: 'DejaVuSans.ttf',
  emoji: 'NotoEmoji-Regular.ttf',
};

const faces = new Map<string, FontFace>();
const MAX_CACHED_LAYOUTS = 4000;

function load(file: string): FontFace {
  const cached = faces.get(file);
  if(cached) return cached;
  const bytes = readFileSync(new URL(`../../assets/fonts/${file}`, import.meta.url));
  const font = fontkit.create(bytes);
  const face: FontFace = {key: file.replace(/\.ttf$/, ''), font, unitsPerEm: font.unitsPerEm, ascent: font.ascent,
    descent: font.descent, outlines: new Map(), layouts: new Map(), coverage: new Map()};
  faces.set(file, face);
  return face;
}

/** The face for a role and weight. */
export function roleFace(role: FontRole, weight: FontWeightName = 'regular'): FontFace {
  return load(FILES[`${role}-${weight}`] ?? FILES['sans-regular']);
}

/** The fallback faces after the role face, in order. */
export function fallbackFaces(): FontFace[] {
  return [load(FILES.dejavu), load(FILES.emoji)];
}

/**
 * Parses every vendored face and its layout tables (fontkit reads GSUB/GPOS lazily, on the
 * first layout, which is most of a cold render's cost); call at boot to warm a process up.
 */
export function preloadFonts(): void {
  for(const file of new Set(Object.values(FILES))) shape(load(file), 'Aa 1');
}

/** True when the face has a glyph for the code point (cached). */
export function hasGlyph(face: FontFace, codePoint: number): boolean {
  let has = face.coverage.get(codePoint);
  if(has === undefined) {
    has = face.font.hasGlyphForCodePoint(codePoint);
    face.coverage.set(codePoint, has);
  }
  return has;
}

/** Shapes a string with one face (fontkit layout: kerning and ligatures), cached per face. */
export function shape(face: FontFace, text: string): ShapedText {
  const hit = face.layouts.get(text);
  if(hit) return hit;
  const run = face.font.layout(text);
  const shaped: ShapedText = {ids: [], codePoints: [], advances: [], offsets: [], width: 0};
  for(let i = 0; i < run.glyphs.length; i++) {
    const glyph = run.glyphs[i];
    const pos = run.positions[i];
    shaped.ids.push(glyph.id);
    shaped.codePoints.push(glyph.codePoints);
    shaped.advances.push(pos.xAdvance);
    shaped.offsets.push(pos.xOffset);
    shaped.width += pos.xAdvance;
  }
  if(face.layouts.size >= MAX_CACHED_LAYOUTS) face.layouts.clear();
  face.layouts.set(text, shaped);
  return shaped;
}

/** A glyph's outline in font units (y up), cached. */
export function glyphOutline(face: FontFace, id: number): fontkit.PathCommand[] {
  let commands = face.outlines.get(id);
  if(!commands) {
    commands = face.font.getGlyph(id).path.commands;
    face.outlines.set(id, commands);
  }
  return commands;
}
