/**
 * Renderers for certificates, diplomas and badges (PDF, SVG, PNG) and the Open Graph
 * image. One layout engine (fontkit metrics over the vendored fonts) places every
 * block, so the PDF and the SVG/PNG agree.
 *
 *   validateTemplate   untrusted JSON → layout, or every problem per block (validate.ts)
 *   buildScene         layout + data + assets → display list (scene.ts, layout.ts)
 *   renderPdf/Svg/Png  display list → bytes (pdf.ts, svg.ts, png.ts)
 */
import {buildOgScene, OG_WIDTH} from './og.js';
import {sceneToPdf} from './pdf.js';
import {svgToPng} from './png.js';
import {buildScene} from './scene.js';
import {sceneToSvg} from './svg.js';
import {type AssetLoader, canvasSize, type RenderData, TemplateLayout} from './template.js';
import {sanitizeText} from './text.js';

export * from './template.js';
export {validateTemplate} from './validate.js';
export {STARTER_TEMPLATES} from './starters.js';
export {DEFAULT_BRAND, sampleAssets, sampleLogo, sampleRenderData} from './sample.js';
export {preloadFonts} from './fonts.js';
export {OG_HEIGHT, OG_WIDTH} from './og.js';

// Layouts are normally already parsed; parse once per object anyway so that a layout built
// by hand (defaults missing) renders the same as a stored one.
const normalized = new WeakMap<object, TemplateLayout>();
function normalize(layout: TemplateLayout): TemplateLayout {
  let parsed = normalized.get(layout);
  if(!parsed) {
    parsed = TemplateLayout.parse(layout);
    normalized.set(layout, parsed);
  }
  return parsed;
}

/** A PDF: vector text with embedded subset fonts, a vector QR code, metadata, and the credential attached. */
export async function renderPdf(layout: TemplateLayout, data: RenderData, assets: AssetLoader,
  options: {attachment?: {name: string; json: string}} = {}): Promise<Buffer> {
  const scene = await buildScene(normalize(layout), data, assets);
  const achievement = sanitizeText(data.achievement.name);
  const created = new Date(data.issuedOn);
  const keywords = ['Open Badges 3.0', 'verifiable credential', sanitizeText(data.achievement.type ?? ''), achievement].filter(Boolean);
  return sceneToPdf(scene, {
    title: scene.title,
    author: sanitizeText(data.issuer.name),
    subject: sanitizeText(data.achievement.description ?? '') || achievement,
    keywords: keywords.join(', '),
    created: Number.isNaN(created.getTime()) ? new Date(0) : created,
  }, options.attachment);
}

/** A self-contained SVG document (text as glyph outlines, images as data: URIs). */
export async function renderSvg(layout: TemplateLayout, data: RenderData, assets: AssetLoader): Promise<string> {
  return sceneToSvg(await buildScene(normalize(layout), data, assets));
}

/** A PNG of the layout, `width` pixels wide (default: canvas width, ×2 for pages). */
export async function renderPng(layout: TemplateLayout, data: RenderData, assets: AssetLoader,
  options: {width?: number} = {}): Promise<Buffer> {
  const parsed = normalize(layout);
  const {width} = canvasSize(parsed);
  const target = options.width ?? (parsed.format === 'badge' ? width : Math.round(width * 2));
  return svgToPng(sceneToSvg(await buildScene(parsed, data, assets)), target);
}

/** A 1200×627 Open Graph image for link previews; `preview` is a PNG of the certificate or badge to show. */
export async function renderOgImage(data: RenderData, assets: AssetLoader, options: {preview?: Buffer} = {}): Promise<Buffer> {
  return svgToPng(sceneToSvg(await buildOgScene(data, assets, options.preview)), OG_WIDTH);
}
