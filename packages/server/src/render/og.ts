/**
 * The Open Graph card (1200 × 627) shown when a credential link is shared: issuer logo and
 * name, achievement, recipient, a "verified credential" mark, and the certificate or badge
 * preview on the right. Built as a Scene with the same layout engine, rendered SVG → PNG.
 */
import {laurelPath, type PathData, rectPath, starPath} from './geometry.js';
import {fitImage, sniffImage} from './images.js';
import {layoutText, type Rect} from './layout.js';
import {linearPaint, safeBrand, type Scene, type SceneItem, sceneDescription, sceneTitle} from './scene.js';
import type {AssetLoader, RenderData} from './template.js';
import {formatDate, sanitizeText} from './text.js';

export const OG_WIDTH = 1200;
export const OG_HEIGHT = 627;

/** `hex` mixed towards `to` by `t` (0..1). */
function mix(hex: string, to: string, t: number): string {
  const a = Number.parseInt(hex.slice(1), 16);
  const b = Number.parseInt(to.slice(1), 16);
  const ch = (shift: number) => Math.round(((a >> shift) & 255) * (1 - t) + ((b >> shift) & 255) * t);
  return `#${[16, 8, 0].map(s => ch(s).toString(16).padStart(2, '0')).join('')}`;
}

/** The check mark of the verified pill, drawn as a path. */
function checkPath(x: number, y: number, s: number): PathData {
  return [['M', x, y + s * 0.52], ['L', x + s * 0.38, y + s * 0.88], ['L', x + s, y + s * 0.16]];
}

/** The card as a scene. */
export async function buildOgScene(data: RenderData, assets: AssetLoader, preview?: Uint8Array): Promise<Scene> {
  const brand = safeBrand(data.brand);
  const sv = data.locale === 'sv';
  const W = OG_WIDTH;
  const H = OG_HEIGHT;
  const split = 760;
  const items: SceneItem[] = [];
  const rect = (r: Rect, color: string, radius = 0): SceneItem => ({kind: 'path', path: rectPath(r, radius), fill: {kind: 'solid', color}});
  let logo = null;
  try {
    logo = sniffImage(await assets.logo());
  } catch {
    logo = null;
  }
  const image = sniffImage(preview);

  // Left: white; right: a brand panel with the preview, or a wreath when there is none.
  items.push(rect({x: 0, y: 0, width: W, height: H}, '#ffffff'));
  const panel: Rect = {x: split, y: 0, width: W - split, height: H};
  items.push({kind: 'path', path: rectPath(panel), fill: linearPaint(brand.primary, mix(brand.primary, '#000000', 0.35), 160, panel)});
  items.push({kind: 'path', path: laurelPath({x: split + 40, y: 110, width: 360, height: 360}), fill: {kind: 'solid', color: '#ffffff'}, opacity: image ? 0.07 : 0.22});
  if(image) {
    const box = fitImage(image.width, image.height, {x: split + 40, y: 60, width: W - split - 80, height: H - 120}, 'contain');
    const round = Math.abs(image.width - image.height) < 2;
    if(!round) items.push({kind: 'path', path: rectPath({x: box.x + 6, y: box.y + 10, width: box.width, height: box.height}, 4), fill: {kind: 'solid', color: '#000000'}, opacity: 0.25});
    items.push({kind: 'image', image, rect: box});
  } else {
    items.push({kind: 'path', path: starPath({x: split + 200, y: 255, width: 40, height: 40}), fill: {kind: 'solid', color: brand.secondary}});
  }
  // Accent bar along the bottom.
  const bar: Rect = {x: 0, y: H - 10, width: split, height: 10};
  items.push({kind: 'path', path: rectPath(bar), fill: linearPaint(brand.primary, brand.secondary, 90, bar)});

  const left = 72;
  const textWidth = split - left - 56;
  // Issuer: logo and name.
  let issuerX = left;
  if(logo) {
    const box = fitImage(logo.width, logo.height, {x: left, y: 56, width: 120, height: 60}, 'contain');
    items.push({kind: 'image', image: logo, rect: {...box, x: left}});
    issuerX = left + box.width + 18;
  }
  items.push({kind: 'text', color: brand.text, layout: layoutText(sanitizeText(data.issuer.name), {x: issuerX, y: 56, width: split - issuerX - 56, height: 60},
    {role: 'sans', weight: 'semibold', size: 24, minSize: 15, lineHeight: 1.15, maxLines: 2, align: 'left', letterSpacing: 0})});

  // The verified mark: a pill with a check.
  const label = sv ? 'Verifierat intyg' : 'Verified credential';
  const pillText = layoutText(label, {x: left + 44, y: 150, width: 400, height: 40}, {role: 'sans', weight: 'semibold', size: 17,
    lineHeight: 1.2, maxLines: 1, align: 'left', letterSpacing: 0.3});
  const pillWidth = pillText.bounds.width + 44 + 22;
  items.push({kind: 'path', path: rectPath({x: left, y: 150, width: pillWidth, height: 40}, 20), fill: {kind: 'solid', color: mix(brand.primary, '#ffffff', 0.88)}});
  items.push({kind: 'path', path: checkPath(left + 18, 162, 16), stroke: {color: brand.primary, width: 3}});
  items.push({kind: 'text', color: brand.primary, layout: pillText});

  // Achievement, recipient, date.
  items.push({kind: 'text', color: brand.text, layout: layoutText(sanitizeText(data.achievement.name), {x: left, y: 214, width: textWidth, height: 150},
    {role: 'display', weight: 'bold', size: 58, minSize: 30, lineHeight: 1.1, maxLines: 2, align: 'left', valign: 'top', letterSpacing: 0})});
  items.push({kind: 'text', color: mix(brand.text, '#ffffff', 0.35), layout: layoutText(sv ? 'Tilldelat' : 'Awarded to', {x: left, y: 392, width: textWidth, height: 28},
    {role: 'sans', weight: 'regular', size: 20, lineHeight: 1.2, maxLines: 1, align: 'left', letterSpacing: 0})});
  items.push({kind: 'text', color: brand.primary, layout: layoutText(sanitizeText(data.recipient.name), {x: left, y: 422, width: textWidth, height: 56},
    {role: 'sans', weight: 'bold', size: 40, minSize: 22, lineHeight: 1.15, maxLines: 1, align: 'left', letterSpacing: 0})});
  const issued = formatDate(data.issuedOn, data.locale);
  if(issued) {
    items.push({kind: 'text', color: mix(brand.text, '#ffffff', 0.35), layout: layoutText(`${sv ? 'Utfärdat' : 'Issued'} ${issued}`,
      {x: left, y: 520, width: textWidth, height: 30}, {role: 'sans', weight: 'regular', size: 19, lineHeight: 1.2, maxLines: 1, align: 'left', letterSpacing: 0})});
  }
  return {width: W, height: H, round: false, items, title: sceneTitle(data), description: sceneDescription(data)};
}
