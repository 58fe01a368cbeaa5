/**
 * Scene → SVG. Text becomes glyph outline paths (identical everywhere, and no user text is
 * ever markup); the only text nodes are the escaped <title> and <desc>. Images are PNG/JPEG
 * data: URIs. The output parses as XML and references nothing outside itself.
 */
import {glyphOutline} from './fonts.js';
import {fmt, type PathData, toSvgPath} from './geometry.js';
import {dataUri} from './images.js';
import type {GlyphRun} from './layout.js';
import {type Paint, roundClip, type Scene} from './scene.js';

/** XML text and attribute escaping (also drops characters XML 1.0 forbids). */
export function escapeXml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The outline of a run as one path, in canvas units. */
export function runPath(run: GlyphRun): string {
  const face = run.face;
  const scale = run.size / face.unitsPerEm;
  let d = '';
  for(const g of run.glyphs) {
    const commands = glyphOutline(face, g.id);
    if(!commands.length) continue;
    const cos = Math.cos(g.rotate);
    const sin = Math.sin(g.rotate);
    const rotated = g.rotate !== 0;
    const X = (px: number, py: number) => rotated ? g.x + (px * cos + py * sin) * scale : g.x + px * scale;
    const Y = (px: number, py: number) => rotated ? g.y + (px * sin - py * cos) * scale : g.y - py * scale;
    for(const c of commands) {
      const a = c.args;
      switch(c.command) {
        case 'moveTo': d += `M${fmt(X(a[0], a[1]))} ${fmt(Y(a[0], a[1]))}`; break;
        case 'lineTo': d += `L${fmt(X(a[0], a[1]))} ${fmt(Y(a[0], a[1]))}`; break;
        case 'quadraticCurveTo': d += `Q${fmt(X(a[0], a[1]))} ${fmt(Y(a[0], a[1]))} ${fmt(X(a[2], a[3]))} ${fmt(Y(a[2], a[3]))}`; break;
        case 'bezierCurveTo': d += `C${fmt(X(a[0], a[1]))} ${fmt(Y(a[0], a[1]))} ${fmt(X(a[2], a[3]))} ${fmt(Y(a[2], a[3]))} ${fmt(X(a[4], a[5]))} ${fmt(Y(a[4], a[5]))}`; break;
        case 'closePath': d += 'Z'; break;
      }
    }
  }
  return d;
}

/** Renders a scene as a standalone SVG document. */
export function sceneToSvg(scene: Scene): string {
  const defs: string[] = [];
  const body: string[] = [];
  let nextId = 0;
  const id = (prefix: string) => `laurel-${prefix}${++nextId}`;
  const paint = (p: Paint): string => {
    if(p.kind === 'solid') return p.color;
    const gid = id('g');
    defs.push(`<linearGradient id="${gid}" gradientUnits="userSpaceOnUse" x1="${fmt(p.x1)}" y1="${fmt(p.y1)}" x2="${fmt(p.x2)}" y2="${fmt(p.y2)}">` +
      `<stop offset="0" stop-color="${p.from}"/><stop offset="1" stop-color="${p.to}"/></linearGradient>`);
    return `url(#${gid})`;
  };
  const clip = (path: PathData): string => {
    const cid = id('c');
    defs.push(`<clipPath id="${cid}"><path d="${toSvgPath(path)}"/></clipPath>`);
    return cid;
  };
  for(const item of scene.items) {
    switch(item.kind) {
      case 'path': {
        const attrs = [`d="${toSvgPath(item.path)}"`, `fill="${item.fill ? paint(item.fill) : 'none'}"`];
        if(item.stroke) attrs.push(`stroke="${item.stroke.color}"`, `stroke-width="${fmt(item.stroke.width)}"`, 'stroke-linejoin="round"', 'stroke-linecap="round"');
        if(item.opacity !== undefined && item.opacity < 1) attrs.push(`opacity="${fmt(item.opacity)}"`);
        body.push(`<path ${attrs.join(' ')}/>`);
        break;
      }
      case 'text':
        for(const run of item.layout.runs) {
          const d = runPath(run);
          if(d) body.push(`<path fill="${item.color}" d="${d}"/>`);
        }
        break;
      case 'image': {
        const r = item.rect;
        const image = `<image x="${fmt(r.x)}" y="${fmt(r.y)}" width="${fmt(r.width)}" height="${fmt(r.height)}" preserveAspectRatio="none" xlink:href="${dataUri(item.image)}"/>`;
        if(item.clip) {
          const c = item.clip;
          body.push(`<g clip-path="url(#${clip([['M', c.x, c.y], ['L', c.x + c.width, c.y], ['L', c.x + c.width, c.y + c.height], ['L', c.x, c.y + c.height], ['Z']])})">${image}</g>`);
        } else {
          body.push(image);
        }
        break;
      }
    }
  }
  const w = fmt(scene.width);
  const h = fmt(scene.height);
  const content = scene.round ? `<g clip-path="url(#${clip(roundClip(scene))})">${body.join('')}</g>` : body.join('');
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-labelledby="laurel-title laurel-desc">` +
    `<title id="laurel-title">${escapeXml(scene.title)}</title><desc id="laurel-desc">${escapeXml(scene.description)}</desc>` +
    (defs.length ? `<defs>${defs.join('')}</defs>` : '') + content + '</svg>\n';
}
