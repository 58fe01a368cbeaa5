/**
 * Scene → PDF with pdfkit. Text is drawn from the shared layout as glyph ids (TJ with exact
 * positions) in embedded, subset TrueType fonts, so the PDF matches the SVG/PNG and text stays
 * selectable and searchable (ToUnicode). Paths are written as raw operators; path strings,
 * fonts and prepared image XObjects are cached across documents.
 */
import {deflateSync} from 'node:zlib';
import PDFDocument from 'pdfkit';
import {type FontFace} from './fonts.js';
import {fmt, type PathData, toPdfPath} from './geometry.js';
import type {RasterImage} from './images.js';
import type {Rect} from './layout.js';
import {type Paint, roundClip, type Scene, type SceneItem} from './scene.js';
import {escapeXml} from './svg.js';

/** Document information (all plain text). */
export interface PdfInfo {
  title: string;
  author: string;
  subject: string;
  keywords: string;
  created: Date;
}

/** pdfkit internals the renderer uses: the current font and page resources. */
interface EmbeddedFontLike {
  id: string;
  subset: {includeGlyph(id: number): number; glyphs: number[]; encode(): Uint8Array};
  embedded?: boolean;
  dictionary?: unknown;
  embed(): void;
  widths: number[];
  unicode: number[][];
  scale: number;
  ref(): unknown;
}
interface DocInternals {
  _font: EmbeddedFontLike;
  page: {fonts: Record<string, unknown>; xobjects: Record<string, unknown>};
  ref(data?: Record<string, unknown>): {data: Record<string, unknown>; end(chunk?: Uint8Array): void};
  compress: boolean;
  openImage(src: Uint8Array): {embed(doc: unknown): void};
  info: Record<string, unknown>;
  _addInfo(this: DocInternals): void;
}

const pathOps = new WeakMap<PathData, string>();
const pathIds = new WeakMap<PathData, number>();
let nextPathId = 0;
function pathId(path: PathData): number {
  let id = pathIds.get(path);
  if(id === undefined) {
    id = ++nextPathId;
    pathIds.set(path, id);
  }
  return id;
}

type PathItem = Extract<SceneItem, {kind: 'path'}>;

/** A path with a solid fill and/or a stroke, no opacity: plain operators, no resources. */
function isPlain(item: SceneItem): boolean {
  return item.kind === 'path' && item.fixed === true && (item.opacity === undefined || item.opacity >= 1) && item.fill?.kind !== 'linear';
}

function plainOps(item: PathItem): string {
  const parts = ['q'];
  let op = 'n';
  if(item.fill?.kind === 'solid') {
    parts.push(`${rgb(item.fill.color)} rg`);
    op = 'f';
  }
  if(item.stroke) {
    parts.push(`${rgb(item.stroke.color)} RG`, `${fmt(item.stroke.width)} w`, '1 J', '1 j');
    op = op === 'f' ? 'B' : 'S';
  }
  parts.push(ops(item.path), op, 'Q');
  return parts.join('\n');
}

// Runs of fixed paths (background, border, shapes: the guilloche alone is ~250 kB of operators)
// become Form XObjects whose compressed streams are cached across documents.
const forms = new Map<string, Uint8Array>();
function formStream(items: PathItem[]): {key: string; bytes: Uint8Array} {
  const key = items.map(i => `${pathId(i.path)}:${i.fill?.kind === 'solid' ? i.fill.color : ''}:${i.stroke ? `${i.stroke.color}/${i.stroke.width}` : ''}`).join(';');
  let bytes = forms.get(key);
  if(!bytes) {
    bytes = deflateSync(Buffer.from(items.map(plainOps).join('\n'), 'latin1'));
    if(forms.size > 128) forms.clear();
    forms.set(key, bytes);
  }
  return {key, bytes};
}
function ops(path: PathData): string {
  let s = pathOps.get(path);
  if(s === undefined) {
    s = toPdfPath(path);
    pathOps.set(path, s);
  }
  return s;
}

function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `${fmt(((n >> 16) & 255) / 255)} ${fmt(((n >> 8) & 255) / 255)} ${fmt((n & 255) / 255)}`;
}

// --- images: pdfkit's own PNG/JPEG embedding, recorded once per image and replayed into each document

interface RecordedRef {
  recorded: true;
  data: Record<string, unknown>;
  chunk?: Uint8Array;
}
const prepared = new Map<string, Promise<RecordedRef>>();

function prepareImage(image: RasterImage, doc: DocInternals): Promise<RecordedRef> {
  let hit = prepared.get(image.key);
  if(!hit) {
    hit = new Promise<RecordedRef>((resolve, reject) => {
      let main: RecordedRef | undefined;
      const recorder = {
        ref(data: Record<string, unknown> = {}) {
          const ref: RecordedRef & {end(chunk?: Uint8Array): void} = {recorded: true, data, end(chunk?: Uint8Array) {
            ref.chunk = chunk ? Uint8Array.from(chunk) : undefined;
            if(ref === main) resolve(ref);
          }};
          main ??= ref;
          return ref;
        },
      };
      try {
        // PNG images with alpha finish asynchronously (png-js inflates with a callback).
        doc.openImage(image.bytes).embed(recorder);
      } catch(error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    if(prepared.size > 64) prepared.clear();
    prepared.set(image.key, hit);
    hit.catch(() => prepared.delete(image.key));
  }
  return hit;
}

function replay(doc: DocInternals, value: unknown): unknown {
  if(value && typeof value === 'object') {
    if((value as RecordedRef).recorded === true) {
      const rec = value as RecordedRef;
      const data: Record<string, unknown> = {};
      for(const [k, v] of Object.entries(rec.data)) data[k] = replay(doc, v);
      const ref = doc.ref(data);
      ref.end(rec.chunk);
      return ref;
    }
    if(Array.isArray(value)) return value.map(v => replay(doc, v));
  }
  return value;
}

/** Renders a scene to PDF bytes. */
export async function sceneToPdf(scene: Scene, info: PdfInfo, attachment?: {name: string; json: string; description?: string}): Promise<Buffer> {
  const doc = new PDFDocument({
    size: [scene.width, scene.height], margin: 0, autoFirstPage: true, compress: true, pdfVersion: '1.7', displayTitle: true,
    // No default font: pdfkit would otherwise load Helvetica's metrics for nothing.
    font: null as unknown as string,
    info: {Title: info.title, Author: info.author, Subject: info.subject, Keywords: info.keywords, Creator: 'Laurel',
      Producer: 'Laurel', CreationDate: info.created, ModDate: info.created},
  });
  const internals = doc as unknown as DocInternals;
  // pdfkit copies the info strings into the XMP packet (PDF ≥ 1.4) without escaping them; a
  // recipient named `</rdf:li>…` would corrupt it. Escape them for the XMP only: the Info
  // dictionary is already written when pdfkit builds the packet.
  const addInfo = internals._addInfo;
  internals._addInfo = function(this: DocInternals) {
    const saved = {...this.info};
    for(const [key, value] of Object.entries(this.info)) if(typeof value === 'string') this.info[key] = escapeXml(value);
    try {
      addInfo.call(this);
    } finally {
      Object.assign(this.info, saved);
    }
  };
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  // Images first (they may resolve asynchronously); the XObjects are written before the page content refers to them.
  const imageLabels = new Map<RasterImage, string>();
  for(const item of scene.items) {
    if(item.kind !== 'image' || imageLabels.has(item.image)) continue;
    try {
      const rec = await prepareImage(item.image, internals);
      const label = `LI${imageLabels.size + 1}`;
      internals.page.xobjects[label] = replay(internals, rec);
      imageLabels.set(item.image, label);
    } catch {
      // An image pdfkit cannot read (e.g. a corrupt PNG) is left out.
    }
  }

  const fonts = new Map<FontFace, EmbeddedFontLike>();
  const embedded = (face: FontFace): EmbeddedFontLike => {
    let font = fonts.get(face);
    if(!font) {
      doc.font(face.font as unknown as string);
      font = internals._font;
      internals.page.fonts[font.id] = font.ref();
      fonts.set(face, font);
    }
    return font;
  };

  const out: string[] = [];
  const flush = () => {
    if(out.length) doc.addContent(out.join('\n'));
    out.length = 0;
  };
  if(scene.round) out.push('q', ops(roundClip(scene)), 'W n');

  const formLabels = new Map<string, string>();
  for(let index = 0; index < scene.items.length; index++) {
    const item = scene.items[index];
    if(isPlain(item)) {
      const run: PathItem[] = [];
      while(index < scene.items.length && isPlain(scene.items[index])) run.push(scene.items[index++] as PathItem);
      index--;
      const {key, bytes} = formStream(run);
      let label = formLabels.get(key);
      if(!label) {
        label = `LF${formLabels.size + 1}`;
        const ref = internals.ref({Type: 'XObject', Subtype: 'Form', BBox: [0, 0, scene.width, scene.height], Filter: 'FlateDecode'});
        ref.end(bytes);
        internals.page.xobjects[label] = ref;
        formLabels.set(key, label);
      }
      out.push(`/${label} Do`);
      continue;
    }
    switch(item.kind) {
      case 'path': {
        const translucent = item.opacity !== undefined && item.opacity < 1;
        if(translucent || item.fill?.kind === 'linear') {
          flush();
          doc.save();
          if(translucent) doc.opacity(item.opacity!);
        } else {
          out.push('q');
        }
        let op = '';
        if(item.fill) {
          op = 'f';
          if(item.fill.kind === 'solid') out.push(`${rgb(item.fill.color)} rg`);
          else {
            flush();
            const p: Paint & {kind: 'linear'} = item.fill;
            const gradient = doc.linearGradient(p.x1, p.y1, p.x2, p.y2);
            gradient.stop(0, p.from).stop(1, p.to);
            doc.fillColor(gradient);
          }
        }
        if(item.stroke) {
          out.push(`${rgb(item.stroke.color)} RG`, `${fmt(item.stroke.width)} w`, '1 J', '1 j');
          op = op ? 'B' : 'S';
        }
        if(!op) op = 'n';
        out.push(ops(item.path), op);
        if(translucent || item.fill?.kind === 'linear') {
          flush();
          doc.restore();
        } else {
          out.push('Q');
        }
        break;
      }
      case 'image': {
        const label = imageLabels.get(item.image);
        if(!label) break;
        const r = item.rect;
        out.push('q');
        if(item.clip) out.push(clipRect(item.clip));
        out.push(`${fmt(r.width)} 0 0 ${fmt(-r.height)} ${fmt(r.x)} ${fmt(r.y + r.height)} cm`, `/${label} Do`, 'Q');
        break;
      }
      case 'text': {
        if(!item.layout.runs.length) break;
        out.push('BT', `${rgb(item.color)} rg`);
        for(const run of item.layout.runs) {
          const font = embedded(run.face);
          const size = run.size;
          out.push(`/${font.id} ${fmt(size)} Tf`);
          const glyphs = run.glyphs;
          const encode = (i: number) => {
            const g = glyphs[i];
            const gid = font.subset.includeGlyph(g.id);
            if(font.widths[gid] == null) font.widths[gid] = run.face.font.getGlyph(g.id).advanceWidth * font.scale;
            if(font.unicode[gid] == null) font.unicode[gid] = g.codePoints;
            return {hex: gid.toString(16).padStart(4, '0'), width: font.widths[gid]};
          };
          if(glyphs.some(g => g.rotate !== 0)) {
            for(let i = 0; i < glyphs.length; i++) {
              const g = glyphs[i];
              const c = Math.cos(g.rotate);
              const s = Math.sin(g.rotate);
              out.push(`${fmt4(c)} ${fmt4(s)} ${fmt4(s)} ${fmt4(-c)} ${fmt(g.x)} ${fmt(g.y)} Tm`, `<${encode(i).hex}> Tj`);
            }
            continue;
          }
          // One TJ per run: after each glyph, the adjustment that lands the next one exactly where the layout put it.
          const parts: string[] = [];
          for(let i = 0; i < glyphs.length; i++) {
            const {hex, width} = encode(i);
            parts.push(`<${hex}>`);
            if(i + 1 < glyphs.length) {
              const natural = (width * size) / 1000;
              const adj = ((glyphs[i].x + natural - glyphs[i + 1].x) * 1000) / size;
              if(Math.abs(adj) >= 0.05) parts.push(fmt(adj));
            }
          }
          out.push(`1 0 0 -1 ${fmt(glyphs[0].x)} ${fmt(glyphs[0].y)} Tm`, `[${parts.join('')}] TJ`);
        }
        out.push('ET');
        break;
      }
    }
  }
  if(scene.round) out.push('Q');
  flush();
  for(const [face, font] of fonts) embedFont(internals, face, font);
  if(attachment) {
    doc.file(Buffer.from(attachment.json, 'utf8'), {name: attachment.name, type: 'application/ld+json',
      description: attachment.description ?? 'The signed credential (Open Badges 3.0, JSON-LD)', relationship: 'Data',
      creationDate: info.created, modifiedDate: info.created} as Parameters<typeof doc.file>[1]);
  }
  doc.end();
  return done;
}

// Font subsets: the encoded, compressed TrueType of one glyph set is cached, so a batch that
// shares its static text (title, issuer, date) only subsets the fonts whose glyphs changed.
const subsets = new Map<string, Uint8Array>();

/**
 * Embeds one font now (instead of in doc.end()) with its FontFile2 stream taken from the cache.
 * pdfkit's EmbeddedFont.embed() creates the font file stream with its first `document.ref()`
 * and ends it with `subset.encode()`; the first ref is made pre-compressed (Filter set, so
 * pdfkit does not deflate it again) and encode() returns the cached bytes.
 */
function embedFont(doc: DocInternals, face: FontFace, font: EmbeddedFontLike): void {
  if(font.embedded || font.dictionary == null || !doc.compress) return;
  const key = `${face.key}:${font.subset.glyphs.join(',')}`;
  let bytes = subsets.get(key);
  if(!bytes) {
    bytes = deflateSync(font.subset.encode());
    if(subsets.size > 512) subsets.clear();
    subsets.set(key, bytes);
  }
  const cached = bytes;
  const ref = doc.ref;
  let first = true;
  doc.ref = function(this: DocInternals, data?: Record<string, unknown>) {
    if(first) {
      first = false;
      return ref.call(this, {...data, Filter: 'FlateDecode'});
    }
    return ref.call(this, data);
  };
  font.subset.encode = () => cached;
  try {
    font.embed();
    font.embedded = true;
  } finally {
    doc.ref = ref;
  }
}

const fmt4 = (n: number) => {
  const r = Math.round(n * 10000) / 10000;
  return Object.is(r, -0) ? '0' : String(r);
};

function clipRect(r: Rect): string {
  return `${fmt(r.x)} ${fmt(r.y)} ${fmt(r.width)} ${fmt(r.height)} re W n`;
}
