/**
 * A template plus one credential's data becomes a Scene: a flat display list of paths,
 * positioned text and images in canvas units. The PDF and SVG renderers only draw scenes,
 * so the two outputs agree.
 */
import QRCode from 'qrcode';
import {circlePath, cornerPaths, ellipsePath, guillochePaths, laurelPath, type PathData, qrPath, rectPath, starPath} from './geometry.js';
import {fitImage, type RasterImage, sniffImage} from './images.js';
import {layoutText, type Rect, type TextLayout, type TextStyle} from './layout.js';
import {canvasSize, DEFAULT_BRAND, type AssetLoader, type Background, type Block, type Border, type Brand, type Color, type RenderData,
  type TemplateLayout} from './template.js';
import {fillPlaceholders, formatDate, sanitizeText, verifyLine} from './text.js';

/** A fill: a colour or a linear gradient between two points. */
export type Paint = {kind: 'solid'; color: string} | {kind: 'linear'; from: string; to: string; x1: number; y1: number; x2: number; y2: number};

/** One thing to draw. */
export type SceneItem =
  | {kind: 'path'; path: PathData; fill?: Paint; stroke?: {color: string; width: number}; opacity?: number;
    /** Depends only on the layout and the brand (renderers may cache it across credentials). */
    fixed?: boolean}
  | {kind: 'text'; layout: TextLayout; color: string}
  | {kind: 'image'; image: RasterImage; rect: Rect; clip?: Rect};

/** A display list for one canvas. */
export interface Scene {
  width: number;
  height: number;
  /** Round badges: everything is clipped to the inscribed circle. */
  round: boolean;
  items: SceneItem[];
  /** Accessible title and description (plain text, sanitized, not escaped). */
  title: string;
  description: string;
}

const HEX = /^#[0-9a-fA-F]{6}$/;

/** The brand with every colour checked (brand colours are user input that lands in SVG attributes). */
export function safeBrand(brand: Brand | undefined): Brand {
  return {
    primary: brand && HEX.test(brand.primary) ? brand.primary.toLowerCase() : DEFAULT_BRAND.primary,
    secondary: brand && HEX.test(brand.secondary) ? brand.secondary.toLowerCase() : DEFAULT_BRAND.secondary,
    text: brand && HEX.test(brand.text) ? brand.text.toLowerCase() : DEFAULT_BRAND.text,
  };
}

/** A template colour resolved against the brand, always `#rrggbb`. */
export function resolveColor(color: Color | undefined, brand: Brand, fallback = '#000000'): string {
  if(!color) return fallback;
  if(color === 'brand.primary') return brand.primary;
  if(color === 'brand.secondary') return brand.secondary;
  if(color === 'brand.text') return brand.text;
  return HEX.test(color) ? color.toLowerCase() : fallback;
}

/** CSS-style linear gradient geometry: angle 0 runs bottom to top, 90 left to right, 180 top to bottom. */
export function linearPaint(from: string, to: string, angle: number, rect: Rect): Paint {
  const a = (angle * Math.PI) / 180;
  const dx = Math.sin(a);
  const dy = -Math.cos(a);
  const half = (Math.abs(rect.width * dx) + Math.abs(rect.height * dy)) / 2;
  const cx = rect.x + rect.width / 2;
  const cy = rect.y + rect.height / 2;
  return {kind: 'linear', from, to, x1: cx - dx * half, y1: cy - dy * half, x2: cx + dx * half, y2: cy + dy * half};
}

// Border and shape geometry depends only on numbers: cache it across renders.
const geometryCache = new Map<string, PathData[]>();
function cachedGeometry(key: string, make: () => PathData[]): PathData[] {
  let paths = geometryCache.get(key);
  if(!paths) {
    paths = make();
    if(geometryCache.size > 256) geometryCache.clear();
    geometryCache.set(key, paths);
  }
  return paths;
}

function borderItems(border: Border, canvas: {width: number; height: number}, round: boolean, brand: Brand): SceneItem[] {
  if(border.style === 'none' || border.width <= 0) return [];
  const color = resolveColor(border.color, brand);
  const i = border.inset;
  const w = border.width;
  const rect: Rect = {x: i, y: i, width: canvas.width - 2 * i, height: canvas.height - 2 * i};
  if(rect.width <= 0 || rect.height <= 0) return [];
  const stroke = (path: PathData, width: number): SceneItem => ({kind: 'path', path, stroke: {color, width}});
  const key = `${border.style}:${round}:${canvas.width}x${canvas.height}:${i}:${w}`;
  const cx = canvas.width / 2;
  const cy = canvas.height / 2;
  const r = Math.min(rect.width, rect.height) / 2;
  switch(border.style) {
    case 'line':
      return [stroke(cachedGeometry(key, () => [round ? circlePath(cx, cy, r - w / 2) : rectPath(inset(rect, w / 2))])[0], w)];
    case 'double': {
      const [outer, inner] = cachedGeometry(key, () => round
        ? [circlePath(cx, cy, r - w / 2), circlePath(cx, cy, r - w * 2.5 - 2)]
        : [rectPath(inset(rect, w / 2)), rectPath(inset(rect, w * 2.5 + 2))]);
      return [stroke(outer, w), stroke(inner, Math.max(0.5, w / 2))];
    }
    case 'corners': {
      if(round) {
        const [outer, inner] = cachedGeometry(key, () => [circlePath(cx, cy, r - w / 2), circlePath(cx, cy, r - w * 3)]);
        return [stroke(outer, w), stroke(inner, Math.max(0.5, w / 3))];
      }
      const paths = cachedGeometry(key, () => {
        const arm = Math.min(rect.width, rect.height) * 0.12;
        return [rectPath(inset(rect, w * 2.2)), ...cornerPaths(inset(rect, w / 2), arm)];
      });
      return paths.map((path, index) => index === 0 ? stroke(path, Math.max(0.5, w / 3)) :
        index % 2 === 1 ? stroke(path, w) : {kind: 'path', path, fill: {kind: 'solid', color}} as SceneItem);
    }
    case 'guilloche': {
      // `width` is the band's width; the waves are hairlines, the edges a little heavier.
      const band = Math.max(4, w);
      const paths = cachedGeometry(key, () => {
        const centre = inset(rect, band / 2 + band * 0.15);
        const {waves, edges} = guillochePaths({kind: round ? 'circle' : 'rect', rect: centre, halfWidth: band / 2 / 1.15});
        return [...edges, ...waves];
      });
      const hair = Math.max(0.35, band / 28);
      return paths.map((path, index) => stroke(path, index < 2 ? hair * 2 : hair));
    }
  }
}

function inset(rect: Rect, d: number): Rect {
  return {x: rect.x + d, y: rect.y + d, width: Math.max(0, rect.width - 2 * d), height: Math.max(0, rect.height - 2 * d)};
}

// Layouts are immutable once made: per block object, keep the last few texts (a batch repeats
// the title, the achievement and the issuer; only the recipient's name changes).
const layoutCache = new WeakMap<object, Map<string, TextLayout>>();
function cachedLayout(owner: object, key: string, make: () => TextLayout): TextLayout {
  let byText = layoutCache.get(owner);
  if(!byText) {
    byText = new Map();
    layoutCache.set(owner, byText);
  }
  let layout = byText.get(key);
  if(!layout) {
    layout = make();
    if(byText.size >= 16) byText.delete(byText.keys().next().value!);
    byText.set(key, layout);
  }
  return layout;
}

const toRect = (b: {x: number; y: number; width: number; height: number}): Rect => ({x: b.x, y: b.y, width: b.width, height: b.height});

/** Loads every image the layout refers to, once each, in parallel. */
async function loadImages(layout: TemplateLayout, assets: AssetLoader): Promise<{logo: RasterImage | null; assets: Map<string, RasterImage | null>}> {
  const ids = new Set<string>();
  let needLogo = false;
  if(layout.background.kind === 'image') ids.add(layout.background.assetId);
  for(const block of layout.blocks) {
    if(block.type === 'image') {
      if(block.source === 'logo') needLogo = true;
      else ids.add(block.source.assetId);
    } else if(block.type === 'signature' && block.assetId) {
      ids.add(block.assetId);
    }
  }
  const safe = async (load: () => Promise<Uint8Array | null>) => {
    try {
      return sniffImage(await load());
    } catch {
      // A missing or unreadable image leaves its box empty rather than failing the render.
      return null;
    }
  };
  const [logo, ...loaded] = await Promise.all([needLogo ? safe(() => assets.logo()) : null, ...[...ids].map(id => safe(() => assets.asset(id)))]);
  return {logo, assets: new Map([...ids].map((id, index) => [id, loaded[index]]))};
}

function imageItem(image: RasterImage | null | undefined, box: Rect, fit: 'contain' | 'cover', anchorY: 'middle' | 'bottom' = 'middle'): SceneItem[] {
  if(!image) return [];
  const rect = fitImage(image.width, image.height, box, fit, anchorY);
  return [{kind: 'image', image, rect, clip: fit === 'cover' ? box : undefined}];
}

function textStyle(block: Extract<Block, {type: 'text'}>): TextStyle {
  return {role: block.font, weight: block.weight, size: block.size, minSize: block.minSize, lineHeight: block.lineHeight,
    maxLines: block.maxLines, align: block.align, valign: block.valign, letterSpacing: block.letterSpacing, arc: block.arc};
}

const upper = (text: string, locale: RenderData['locale']) => text.toLocaleUpperCase(locale === 'sv' ? 'sv-SE' : 'en-GB');

// The same credential is often rendered several times in a row (PDF, PNG, OG image): keep its QR path.
const qrCache = new Map<string, PathData>();

/** The QR code of a URL as one path in a square of side `size` at (x, y), with a 2-module quiet zone. */
export function qrItems(url: string, box: Rect, dark: string, light: string): SceneItem[] {
  const side = Math.min(box.width, box.height);
  const square: Rect = {x: box.x + (box.width - side) / 2, y: box.y + (box.height - side) / 2, width: side, height: side};
  const key = `${square.x}:${square.y}:${side}:${url}`;
  let path = qrCache.get(key);
  if(!path) {
    const qr = QRCode.create(url || ' ', {errorCorrectionLevel: 'M'});
    const n = qr.modules.size;
    const quiet = 2;
    const cell = side / (n + 2 * quiet);
    const inner: Rect = {x: square.x + quiet * cell, y: square.y + quiet * cell, width: n * cell, height: n * cell};
    path = qrPath({size: n, get: (row, col) => Boolean(qr.modules.get(row, col))}, inner);
    if(qrCache.size >= 64) qrCache.delete(qrCache.keys().next().value!);
    qrCache.set(key, path);
  }
  return [
    {kind: 'path', path: rectPath(square), fill: {kind: 'solid', color: light}},
    {kind: 'path', path, fill: {kind: 'solid', color: dark}},
  ];
}

function blockItems(block: Block, data: RenderData, brand: Brand, images: Awaited<ReturnType<typeof loadImages>>): SceneItem[] {
  const box = toRect(block);
  switch(block.type) {
    case 'text': {
      let text = fillPlaceholders(block.text, data);
      if(block.uppercase) text = upper(text, data.locale);
      if(!text.trim()) return [];
      return [{kind: 'text', layout: cachedLayout(block, text, () => layoutText(text, box, textStyle(block))), color: resolveColor(block.color, brand)}];
    }
    case 'image':
      return imageItem(block.source === 'logo' ? images.logo : images.assets.get(block.source.assetId), box, block.fit);
    case 'signature': {
      const color = resolveColor(block.color, brand);
      const name = fillPlaceholders(block.name, data).replace(/\n/g, ' ');
      const title = fillPlaceholders(block.title, data).replace(/\n/g, ' ');
      const nameSize = Math.max(6, Math.min(13, block.height * 0.14));
      const titleSize = nameSize * 0.82;
      const textHeight = nameSize * 1.35 + (title ? titleSize * 1.35 : 0);
      const ruleY = block.y + block.height - textHeight - nameSize * 0.35;
      const items: SceneItem[] = [];
      const imageBox: Rect = {x: block.x, y: block.y, width: block.width, height: Math.max(0, ruleY - block.y - 2)};
      if(block.assetId && imageBox.height > 4) items.push(...imageItem(images.assets.get(block.assetId), imageBox, 'contain', 'bottom'));
      const ruleWidth = Math.min(block.width, Math.max(block.width * 0.85, 0));
      const rx = block.x + (block.width - ruleWidth) / 2;
      items.push({kind: 'path', path: [['M', rx, ruleY], ['L', rx + ruleWidth, ruleY]], stroke: {color, width: 0.75}});
      const weight = block.font === 'script' ? 'regular' : 'semibold';
      const nameBox: Rect = {x: block.x, y: ruleY + nameSize * 0.35, width: block.width, height: nameSize * 1.35};
      if(name) items.push({kind: 'text', color, layout: cachedLayout(block, `n:${name}`, () => layoutText(name, nameBox, {role: block.font,
        weight, size: nameSize, minSize: nameSize * 0.7, lineHeight: 1.3, maxLines: 1, align: 'center', letterSpacing: 0}))});
      if(title) items.push({kind: 'text', color, layout: cachedLayout(block, `t:${title}`, () => layoutText(title, {...nameBox,
        y: nameBox.y + nameBox.height, height: titleSize * 1.35}, {role: block.font === 'script' ? 'sans' : block.font, weight: 'regular',
        size: titleSize, minSize: titleSize * 0.7, lineHeight: 1.3, maxLines: 1, align: 'center', letterSpacing: 0.2}))});
      return items;
    }
    case 'qr':
      return qrItems(sanitizeText(data.credential.url), box, resolveColor(block.color, brand), resolveColor(block.background, brand, '#ffffff'));
    case 'verify': {
      const line = verifyLine(data);
      return [{kind: 'text', color: resolveColor(block.color, brand), layout: cachedLayout(block, line, () => layoutText(line, box, {role: block.font,
        weight: 'regular', size: block.size, minSize: Math.max(4, block.size * 0.6), lineHeight: 1.2, maxLines: 1, align: block.align,
        letterSpacing: 0}))}];
    }
    case 'shape': {
      const key = `${block.shape}:${block.x}:${block.y}:${block.width}:${block.height}:${block.radius}`;
      const stroke = block.stroke && block.strokeWidth > 0 ? {color: resolveColor(block.stroke, brand), width: block.strokeWidth} : undefined;
      const fill: Paint | undefined = block.gradient
        ? linearPaint(resolveColor(block.gradient.from, brand), resolveColor(block.gradient.to, brand), block.gradient.angle, box)
        : block.fill ? {kind: 'solid', color: resolveColor(block.fill, brand)} : undefined;
      const opacity = block.opacity;
      if(block.shape === 'rule') {
        const color = resolveColor(block.stroke ?? block.fill ?? 'brand.text', brand);
        const horizontal = block.width >= block.height;
        const [path] = cachedGeometry(key, () => [horizontal
          ? [['M', block.x, block.y + block.height / 2], ['L', block.x + block.width, block.y + block.height / 2]]
          : [['M', block.x + block.width / 2, block.y], ['L', block.x + block.width / 2, block.y + block.height]]]);
        return [{kind: 'path', path, stroke: {color, width: Math.max(0.25, block.strokeWidth)}, opacity}];
      }
      const [path] = cachedGeometry(key, () => [
        block.shape === 'rect' ? rectPath(box, block.radius)
          : block.shape === 'ellipse' ? ellipsePath(box)
            : block.shape === 'star' ? starPath(box) : laurelPath(box)]);
      if(!fill && !stroke) return [{kind: 'path', path, fill: {kind: 'solid', color: brand.primary}, opacity}];
      return [{kind: 'path', path, fill, stroke, opacity}];
    }
  }
}

function backgroundItems(background: Background, canvas: Rect, brand: Brand, images: Awaited<ReturnType<typeof loadImages>>): SceneItem[] {
  const [full] = cachedGeometry(`canvas:${canvas.width}x${canvas.height}`, () => [rectPath(canvas)]);
  switch(background.kind) {
    case 'color':
      return [{kind: 'path', path: full, fill: {kind: 'solid', color: resolveColor(background.color, brand, '#ffffff')}}];
    case 'gradient':
      return [{kind: 'path', path: full, fill: linearPaint(resolveColor(background.from, brand), resolveColor(background.to, brand), background.angle, canvas)}];
    case 'image':
      return [{kind: 'path', path: full, fill: {kind: 'solid', color: resolveColor(background.fallback, brand, '#ffffff')}},
        ...imageItem(images.assets.get(background.assetId), canvas, background.fit)];
  }
}

/** The accessible title: "<achievement> — <recipient>". */
export function sceneTitle(data: RenderData): string {
  return `${sanitizeText(data.achievement.name)} — ${sanitizeText(data.recipient.name)}`;
}

/** The accessible description: issuer, date and where to verify. */
export function sceneDescription(data: RenderData): string {
  const issued = formatDate(data.issuedOn, data.locale);
  const issuer = sanitizeText(data.issuer.name);
  return data.locale === 'sv'
    ? `Utfärdat av ${issuer}${issued ? ` den ${issued}` : ''}. ${verifyLine(data)}`
    : `Issued by ${issuer}${issued ? ` on ${issued}` : ''}. ${verifyLine(data)}`;
}

/** Builds the display list of a (validated) layout for one credential. */
export async function buildScene(layout: TemplateLayout, data: RenderData, assets: AssetLoader): Promise<Scene> {
  const brand = safeBrand(data.brand);
  const data2: RenderData = {...data, brand};
  const {width, height} = canvasSize(layout);
  const round = layout.format === 'badge' && layout.badge?.shape === 'round';
  const images = await loadImages(layout, assets);
  const canvas: Rect = {x: 0, y: 0, width, height};
  const fixed = (list: SceneItem[]) => list.map(item => item.kind === 'path' ? {...item, fixed: true} : item);
  const items: SceneItem[] = [
    ...fixed(backgroundItems(layout.background, canvas, brand, images)),
    ...fixed(borderItems(layout.border, {width, height}, round, brand)),
  ];
  for(const block of layout.blocks) {
    const list = blockItems(block, data2, brand, images);
    items.push(...(block.type === 'shape' ? fixed(list) : list));
  }
  return {width, height, round, items, title: sceneTitle(data), description: sceneDescription(data)};
}

/** The circle a round badge is clipped to. */
export function roundClip(scene: Scene): PathData {
  return circlePath(scene.width / 2, scene.height / 2, Math.min(scene.width, scene.height) / 2);
}
