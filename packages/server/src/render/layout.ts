/**
 * The text layout engine shared by the PDF and SVG renderers. Per character it picks the
 * first face with a glyph (role face → DejaVu Sans → Noto Emoji; else the character is
 * dropped), measures words with fontkit shaping, shrinks the size from `size` toward
 * `minSize` until the wrapped lines fit the box, and cuts with an ellipsis when even
 * `minSize` does not fit. The result is positioned glyphs in canvas units.
 */
import {fallbackFaces, type FontFace, type FontRole, type FontWeightName, hasGlyph, roleFace, shape} from './fonts.js';

/** A rectangle in canvas units, origin top left. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One glyph placed on the canvas: origin on the baseline, rotated clockwise by `rotate` radians. */
export interface PositionedGlyph {
  id: number;
  x: number;
  y: number;
  rotate: number;
  codePoints: number[];
}

/** Glyphs of one face at one size (a line may hold several runs when fallback faces are used). */
export interface GlyphRun {
  face: FontFace;
  size: number;
  glyphs: PositionedGlyph[];
  /** The run's text (for PDF text extraction and tests). */
  text: string;
}

/** What layoutText returns. */
export interface TextLayout {
  size: number;
  lines: string[];
  runs: GlyphRun[];
  /** True when the text was cut with an ellipsis. */
  truncated: boolean;
  /** Ink-free bounds of the laid-out lines (line boxes), for tests and hit testing. */
  bounds: Rect;
}

/** How to lay one text out. */
export interface TextStyle {
  role: FontRole;
  weight: FontWeightName;
  size: number;
  /** Smallest size to shrink to (default: `size`, no shrinking). */
  minSize?: number;
  lineHeight: number;
  maxLines?: number;
  align: 'left' | 'center' | 'right';
  valign?: 'top' | 'middle' | 'bottom';
  letterSpacing: number;
  arc?: {radius: number; side: 'top' | 'bottom'};
}

interface Atom {
  face: FontFace;
  text: string;
}

/** A word: atoms (grapheme clusters with their face), measured once in ems. */
interface Word {
  atoms: Atom[];
  /** Width in ems (font units / unitsPerEm) and the glyph count, for letter spacing. */
  em: number;
  glyphs: number;
}

const segmenter = new Intl.Segmenter('en', {granularity: 'grapheme'});
const JOINERS = /^[\u200c\u200d\ufe00-\ufe0f\p{M}]$/u;

/** Splits text into atoms (grapheme clusters) with the face that draws them; clusters no face has are dropped. */
function itemize(text: string, primary: FontFace): Atom[] {
  const faces = [primary, ...fallbackFaces()];
  const atoms: Atom[] = [];
  for(const {segment} of segmenter.segment(text)) {
    const cps = [...segment].map(c => c.codePointAt(0)!);
    const base = cps[0];
    const face = faces.find(f => hasGlyph(f, base));
    if(!face) continue;
    // Keep the joiners and marks the face can draw; drop the rest (e.g. VS16 without a colour font).
    const kept = [...segment].filter((c, i) => i === 0 || !JOINERS.test(c) || hasGlyph(face, cps[i])).join('');
    atoms.push({face, text: kept});
  }
  return atoms;
}

/** Consecutive atoms of one face merged, so that shaping sees whole strings (kerning, ligatures). */
function segments(atoms: Atom[]): Atom[] {
  const out: Atom[] = [];
  for(const atom of atoms) {
    const last = out[out.length - 1];
    if(last && last.face === atom.face) last.text += atom.text;
    else out.push({face: atom.face, text: atom.text});
  }
  return out;
}

function measure(atoms: Atom[]): {em: number; glyphs: number} {
  let em = 0;
  let glyphs = 0;
  for(const seg of segments(atoms)) {
    const shaped = shape(seg.face, seg.text);
    em += shaped.width / seg.face.unitsPerEm;
    glyphs += shaped.ids.length;
  }
  return {em, glyphs};
}

function makeWord(atoms: Atom[]): Word {
  return {atoms, ...measure(atoms)};
}

/** Paragraphs (hard breaks) of words. */
function toParagraphs(text: string, face: FontFace): Word[][] {
  return text.split('\n').map(paragraph => paragraph.split(' ').filter(w => w.length > 0)
    .map(w => makeWord(itemize(w, face))).filter(w => w.atoms.length > 0));
}

const wordWidth = (w: Word, size: number, spacing: number) => w.em * size + spacing * w.glyphs;

/** Breaks one over-long word into pieces no wider than `width` (at least one cluster each). */
function breakWord(word: Word, width: number, size: number, spacing: number): Word[] {
  const pieces: Word[] = [];
  let current: Atom[] = [];
  for(const atom of word.atoms) {
    const trial = makeWord([...current, atom]);
    if(current.length > 0 && wordWidth(trial, size, spacing) > width) {
      pieces.push(makeWord(current));
      current = [atom];
    } else {
      current.push(atom);
    }
  }
  if(current.length) pieces.push(makeWord(current));
  return pieces;
}

/** Greedy wrapping; stops early once more than `limit` lines are produced. */
function wrap(paragraphs: Word[][], width: number, size: number, spacing: number, space: number, limit: number): Word[][] {
  const lines: Word[][] = [];
  const spaceWidth = space * size + spacing;
  for(const words of paragraphs) {
    let line: Word[] = [];
    let lineWidth = 0;
    for(const word of words) {
      const w = wordWidth(word, size, spacing);
      if(line.length && lineWidth + spaceWidth + w <= width) {
        line.push(word);
        lineWidth += spaceWidth + w;
        continue;
      }
      if(line.length) {
        lines.push(line);
        if(lines.length > limit) return lines;
      }
      if(w <= width) {
        line = [word];
        lineWidth = w;
      } else {
        const pieces = breakWord(word, width, size, spacing);
        for(const piece of pieces.slice(0, -1)) {
          lines.push([piece]);
          if(lines.length > limit) return lines;
        }
        line = [pieces[pieces.length - 1]];
        lineWidth = wordWidth(line[0], size, spacing);
      }
    }
    lines.push(line);
    if(lines.length > limit) return lines;
  }
  return lines;
}

const lineWidth = (line: Word[], size: number, spacing: number, space: number) =>
  line.reduce((sum, w) => sum + wordWidth(w, size, spacing), 0) + Math.max(0, line.length - 1) * (space * size + spacing);

/** Cuts the last line so that it and an ellipsis fit `width`. */
function ellipsize(line: Word[], face: FontFace, width: number, size: number, spacing: number, space: number): Word[] {
  const mark = hasGlyph(face, 0x2026) ? '…' : '...';
  const ellipsis = makeWord(itemize(mark, face));
  const atoms = line.flatMap((w, i) => i === 0 ? w.atoms : [{face, text: ' '}, ...w.atoms]);
  while(atoms.length) {
    const trimmed = [...atoms];
    while(trimmed.length && trimmed[trimmed.length - 1].text === ' ') trimmed.pop();
    const candidate = trimmed.length ? [...toWords(trimmed), ellipsis] : [ellipsis];
    // The ellipsis joins the last word with no space.
    const joined = candidate.length > 1 ? [...candidate.slice(0, -2), makeWord([...candidate[candidate.length - 2].atoms, ...ellipsis.atoms])] : candidate;
    if(lineWidth(joined, size, spacing, space) <= width || trimmed.length === 0) return joined;
    atoms.pop();
  }
  return [ellipsis];
}

function toWords(atoms: Atom[]): Word[] {
  const words: Word[] = [];
  let current: Atom[] = [];
  for(const atom of atoms) {
    if(atom.text === ' ') {
      if(current.length) words.push(makeWord(current));
      current = [];
    } else {
      current.push(atom);
    }
  }
  if(current.length) words.push(makeWord(current));
  return words;
}

const EPSILON = 1e-6;

/** Lays `text` (already filled and sanitized; `\n` breaks lines) out in `box`. */
export function layoutText(text: string, box: Rect, style: TextStyle): TextLayout {
  const face = roleFace(style.role, style.weight);
  const paragraphs = toParagraphs(text, face);
  const spaceGlyph = face.font.glyphForCodePoint(0x20);
  const space = shape(face, ' ').width / face.unitsPerEm;
  const spacing = style.letterSpacing;
  // At most 144° of arc: the line stays clear of the 9 and 3 o'clock positions.
  const arcLength = style.arc ? style.arc.radius * Math.PI * 0.8 : 0;
  const width = style.arc ? arcLength : box.width;
  const lh = style.lineHeight;
  // Never larger than one line of the box: a short box shrinks the text below minSize rather than overflow.
  const cap = (s: number) => style.arc ? s : Math.min(s, box.height / lh);
  const maxSize = Math.max(1, cap(style.size));
  const minSize = Math.max(1, Math.min(maxSize, cap(style.minSize ?? style.size)));
  const limitAt = (size: number) => style.arc ? 1 : Math.max(1, Math.min(style.maxLines ?? Infinity, Math.floor((box.height + EPSILON) / (size * lh))));
  const fits = (size: number) => {
    const limit = limitAt(size);
    return wrap(paragraphs, width, size, spacing, space, limit).length <= limit;
  };

  let size = maxSize;
  if(!fits(maxSize)) {
    if(fits(minSize)) {
      let lo = minSize;
      let hi = maxSize;
      for(let i = 0; i < 12 && hi - lo > 0.05; i++) {
        const mid = (lo + hi) / 2;
        if(fits(mid)) lo = mid;
        else hi = mid;
      }
      size = lo;
    } else {
      size = minSize;
    }
  }
  const limit = limitAt(size);
  let lines = wrap(paragraphs, width, size, spacing, space, limit);
  let truncated = false;
  if(lines.length > limit) {
    truncated = true;
    lines = lines.slice(0, limit);
    lines[limit - 1] = ellipsize(lines[limit - 1], face, width, size, spacing, space);
  }

  const ascent = face.ascent / face.unitsPerEm;
  const descent = -face.descent / face.unitsPerEm;
  const lineBox = size * lh;
  const total = lines.length * lineBox;
  const valign = style.valign ?? 'middle';
  const top = valign === 'top' ? box.y : valign === 'bottom' ? box.y + box.height - total : box.y + (box.height - total) / 2;
  const runs: GlyphRun[] = [];
  const lineTexts: string[] = [];
  let minX = Infinity;
  let maxX = -Infinity;
  lines.forEach((line, index) => {
    const w = lineWidth(line, size, spacing, space);
    const baseline = top + index * lineBox + (lineBox - (ascent + descent) * size) / 2 + ascent * size;
    const x0 = style.align === 'left' ? box.x : style.align === 'right' ? box.x + box.width - w : box.x + (box.width - w) / 2;
    minX = Math.min(minX, x0);
    maxX = Math.max(maxX, x0 + w);
    const lineRuns: GlyphRun[] = [];
    let pen = 0;
    const push = (runFace: FontFace, glyph: Omit<PositionedGlyph, 'y' | 'rotate' | 'x'> & {dx: number}, advance: number, text: string) => {
      let run = lineRuns[lineRuns.length - 1];
      if(!run || run.face !== runFace) {
        run = {face: runFace, size, glyphs: [], text: ''};
        lineRuns.push(run);
      }
      run.glyphs.push({id: glyph.id, x: pen + glyph.dx, y: 0, rotate: 0, codePoints: glyph.codePoints});
      run.text += text;
      pen += advance + spacing;
    };
    line.forEach((word, wi) => {
      if(wi > 0) push(face, {id: spaceGlyph.id, codePoints: [0x20], dx: 0}, space * size, ' ');
      for(const seg of segments(word.atoms)) {
        const shaped = shape(seg.face, seg.text);
        const scale = size / seg.face.unitsPerEm;
        shaped.ids.forEach((id, gi) => {
          const cps = shaped.codePoints[gi];
          push(seg.face, {id, codePoints: cps, dx: shaped.offsets[gi] * scale}, shaped.advances[gi] * scale, String.fromCodePoint(...cps));
        });
      }
    });
    lineTexts.push(line.map(w => w.atoms.map(a => a.text).join('')).join(' '));
    for(const run of lineRuns) {
      for(const g of run.glyphs) {
        if(style.arc) placeOnArc(g, run, w, box, style.arc);
        else {
          g.x += x0;
          g.y = baseline;
        }
      }
    }
    runs.push(...lineRuns);
  });
  const bounds = style.arc ? {...box} : {x: Number.isFinite(minX) ? minX : box.x, y: top, width: Number.isFinite(maxX) ? maxX - minX : 0, height: total};
  return {size, lines: lineTexts, runs, truncated, bounds};
}

/** Moves a glyph from a straight baseline (x = distance along it) onto the arc. */
function placeOnArc(g: PositionedGlyph, run: GlyphRun, lineW: number, box: Rect, arc: {radius: number; side: 'top' | 'bottom'}): void {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const r = arc.radius;
  const advance = run.face.font.getGlyph(g.id).advanceWidth * run.size / run.face.unitsPerEm;
  const centre = g.x + advance / 2 - lineW / 2;
  const a = centre / r;
  if(arc.side === 'top') {
    const px = cx + r * Math.sin(a);
    const py = cy - r * Math.cos(a);
    g.x = px - Math.cos(a) * advance / 2;
    g.y = py - Math.sin(a) * advance / 2;
    g.rotate = a;
  } else {
    const px = cx + r * Math.sin(a);
    const py = cy + r * Math.cos(a);
    g.x = px - Math.cos(a) * advance / 2;
    g.y = py + Math.sin(a) * advance / 2;
    g.rotate = -a;
  }
}
