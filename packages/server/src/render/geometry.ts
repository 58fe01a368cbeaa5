/**
 * Vector paths in canvas units (origin top left, y down), shared by the PDF and SVG
 * renderers: rectangles, ellipses, stars, laurel wreaths, QR modules and the border
 * ornaments (double rules, corner brackets, guilloche bands).
 */
import type {Rect} from './layout.js';

/** A path: a flat list of commands. M x y | L x y | C x1 y1 x2 y2 x y | Z. */
export type PathCommand = ['M', number, number] | ['L', number, number] | ['C', number, number, number, number, number, number] | ['Z'];
export type PathData = PathCommand[];

const KAPPA = 0.5522847498;

/** A rectangle, with rounded corners when `radius` > 0. */
export function rectPath({x, y, width: w, height: h}: Rect, radius = 0): PathData {
  const r = Math.max(0, Math.min(radius, w / 2, h / 2));
  if(r === 0) return [['M', x, y], ['L', x + w, y], ['L', x + w, y + h], ['L', x, y + h], ['Z']];
  const k = r * (1 - KAPPA);
  return [
    ['M', x + r, y], ['L', x + w - r, y], ['C', x + w - k, y, x + w, y + k, x + w, y + r],
    ['L', x + w, y + h - r], ['C', x + w, y + h - k, x + w - k, y + h, x + w - r, y + h],
    ['L', x + r, y + h], ['C', x + k, y + h, x, y + h - k, x, y + h - r],
    ['L', x, y + r], ['C', x, y + k, x + k, y, x + r, y], ['Z'],
  ];
}

/** An ellipse inscribed in the rectangle. */
export function ellipsePath({x, y, width: w, height: h}: Rect): PathData {
  const rx = w / 2;
  const ry = h / 2;
  const cx = x + rx;
  const cy = y + ry;
  const ox = rx * KAPPA;
  const oy = ry * KAPPA;
  return [
    ['M', cx - rx, cy], ['C', cx - rx, cy - oy, cx - ox, cy - ry, cx, cy - ry],
    ['C', cx + ox, cy - ry, cx + rx, cy - oy, cx + rx, cy], ['C', cx + rx, cy + oy, cx + ox, cy + ry, cx, cy + ry],
    ['C', cx - ox, cy + ry, cx - rx, cy + oy, cx - rx, cy], ['Z'],
  ];
}

/** A circle by centre and radius. */
export function circlePath(cx: number, cy: number, r: number): PathData {
  return ellipsePath({x: cx - r, y: cy - r, width: 2 * r, height: 2 * r});
}

/** A five-pointed star filling the box. */
export function starPath({x, y, width: w, height: h}: Rect): PathData {
  const cx = x + w / 2;
  const cy = y + h / 2 + h * 0.05;
  const outer = Math.min(w, h) / 2;
  const inner = outer * 0.42;
  const path: PathData = [];
  for(let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    path.push([i === 0 ? 'M' : 'L', cx + r * Math.cos(a) * (w / Math.min(w, h)), cy + r * Math.sin(a) * (h / Math.min(w, h))]);
  }
  path.push(['Z']);
  return path;
}

/** Twice the signed area of a polygon (positive: clockwise on a y-down canvas). */
function signedArea(points: [number, number][]): number {
  let sum = 0;
  for(let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i];
    const [x2, y2] = points[(i + 1) % points.length];
    sum += x1 * y2 - x2 * y1;
  }
  return sum;
}

/** One almond-shaped leaf from (x0, y0) pointing at angle `a`, `length` long (anticlockwise on a y-down canvas: negative signedArea). */
function leaf(path: PathData, x0: number, y0: number, a: number, length: number, widthRatio = 0.36): void {
  const ux = Math.cos(a);
  const uy = Math.sin(a);
  const nx = -uy;
  const ny = ux;
  const half = length * widthRatio / 2;
  const tx = x0 + ux * length;
  const ty = y0 + uy * length;
  const c1 = (s: number, t: number, side: number) => [x0 + ux * length * s + nx * half * t * side, y0 + uy * length * s + ny * half * t * side];
  const [a1x, a1y] = c1(0.25, 2.1, 1);
  const [a2x, a2y] = c1(0.75, 1.6, 1);
  const [b1x, b1y] = c1(0.75, 1.6, -1);
  const [b2x, b2y] = c1(0.25, 2.1, -1);
  path.push(['M', x0, y0], ['C', a1x, a1y, a2x, a2y, tx, ty], ['C', b1x, b1y, b2x, b2y, x0, y0], ['Z']);
}

/** A laurel wreath (two branches of leaves meeting at the bottom) filling the box. */
export function laurelPath({x, y, width: w, height: h}: Rect): PathData {
  const path: PathData = [];
  const cx = x + w / 2;
  const cy = y + h / 2;
  const rx = w / 2 * 0.86;
  const ry = h / 2 * 0.86;
  const leaves = 9;
  const leafLength = Math.min(w, h) * 0.2;
  for(const side of [-1, 1]) {
    // From the bottom (angle π/2, y down) up the side to about 35° short of the top.
    const start = Math.PI / 2 + side * 0.32;
    const end = Math.PI / 2 + side * (Math.PI * 0.78);
    // The stem: a thin band along the arc.
    const stem: [number, number][] = [];
    const steps = 28;
    for(let i = 0; i <= steps; i++) {
      const t = start + (end - start) * (i / steps);
      stem.push([cx + rx * Math.cos(t), cy + ry * Math.sin(t)]);
    }
    const thickness = Math.min(w, h) * 0.012;
    const outerStem = stem.map(([px, py]) => {
      const dx = px - cx;
      const dy = py - cy;
      const d = Math.hypot(dx, dy) || 1;
      return [px + dx / d * thickness, py + dy / d * thickness] as [number, number];
    });
    const innerStem = stem.map(([px, py]) => {
      const dx = px - cx;
      const dy = py - cy;
      const d = Math.hypot(dx, dy) || 1;
      return [px - dx / d * thickness, py - dy / d * thickness] as [number, number];
    });
    // Every subpath winds the same way as the leaves, so that overlaps stay filled (non-zero rule).
    let ring = [...outerStem, ...innerStem.reverse()];
    if(signedArea(ring) > 0) ring = ring.reverse();
    path.push(['M', ring[0][0], ring[0][1]]);
    for(const p of ring.slice(1)) path.push(['L', p[0], p[1]]);
    path.push(['Z']);
    for(let i = 0; i < leaves; i++) {
      const t = start + (end - start) * ((i + 0.6) / (leaves + 0.2));
      const px = cx + rx * Math.cos(t);
      const py = cy + ry * Math.sin(t);
      // Tangent along the branch, in the direction of growth (towards the top).
      const tx = -rx * Math.sin(t) * side;
      const ty = ry * Math.cos(t) * side;
      const along = Math.atan2(ty, tx);
      const scale = 1 - i * 0.045;
      leaf(path, px, py, along + 0.62, leafLength * scale);
      leaf(path, px, py, along - 0.62, leafLength * scale * 0.92);
    }
    // A leaf at the tip.
    const tipX = cx + rx * Math.cos(end);
    const tipY = cy + ry * Math.sin(end);
    const tipAlong = Math.atan2(ry * Math.cos(end) * side, -rx * Math.sin(end) * side);
    leaf(path, tipX, tipY, tipAlong, leafLength * 0.7);
  }
  return path;
}

/** Samples a closed curve into a smooth path (Catmull-Rom through the points, as cubic Béziers). */
export function smoothClosed(points: [number, number][]): PathData {
  const n = points.length;
  const path: PathData = [['M', points[0][0], points[0][1]]];
  for(let i = 0; i < n; i++) {
    const p0 = points[(i - 1 + n) % n];
    const p1 = points[i];
    const p2 = points[(i + 1) % n];
    const p3 = points[(i + 2) % n];
    path.push(['C', p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6, p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6, p2[0], p2[1]]);
  }
  path.push(['Z']);
  return path;
}

/**
 * A point on a rounded rectangle's perimeter at arc length `s`, with its outward normal.
 * Used to run guilloche waves around a page with continuous normals at the corners.
 */
function roundedRectWalker(rect: Rect, r: number): {length: number; at(s: number): [number, number, number, number]} {
  const {x, y, width: w, height: h} = rect;
  const straightW = w - 2 * r;
  const straightH = h - 2 * r;
  const quarter = Math.PI * r / 2;
  const pieces: {len: number; at(t: number): [number, number, number, number]}[] = [
    {len: straightW, at: t => [x + r + t, y, 0, -1]},
    {len: quarter, at: t => { const a = -Math.PI / 2 + t / r; return [x + w - r + r * Math.cos(a), y + r + r * Math.sin(a), Math.cos(a), Math.sin(a)]; }},
    {len: straightH, at: t => [x + w, y + r + t, 1, 0]},
    {len: quarter, at: t => { const a = t / r; return [x + w - r + r * Math.cos(a), y + h - r + r * Math.sin(a), Math.cos(a), Math.sin(a)]; }},
    {len: straightW, at: t => [x + w - r - t, y + h, 0, 1]},
    {len: quarter, at: t => { const a = Math.PI / 2 + t / r; return [x + r + r * Math.cos(a), y + h - r + r * Math.sin(a), Math.cos(a), Math.sin(a)]; }},
    {len: straightH, at: t => [x, y + h - r - t, -1, 0]},
    {len: quarter, at: t => { const a = Math.PI + t / r; return [x + r + r * Math.cos(a), y + r + r * Math.sin(a), Math.cos(a), Math.sin(a)]; }},
  ];
  const length = pieces.reduce((sum, p) => sum + p.len, 0);
  return {length, at(s: number) {
    let rest = ((s % length) + length) % length;
    for(const piece of pieces) {
      if(rest <= piece.len) return piece.at(rest);
      rest -= piece.len;
    }
    return pieces[0].at(0);
  }};
}

/** Options for a guilloche band: centre line (rect or circle), half-width of the band. */
export interface GuillocheBand {
  kind: 'rect' | 'circle';
  rect: Rect;
  halfWidth: number;
}

/**
 * A guilloche band: several phase-shifted waves of two frequencies, woven along the centre
 * line, as on bank notes. Returns the wave paths (to stroke thinly) and the two edge rules.
 */
export function guillochePaths(band: GuillocheBand): {waves: PathData[]; edges: PathData[]} {
  const {rect, halfWidth: b} = band;
  const waves: PathData[] = [];
  const edges: PathData[] = [];
  const strands = 4;
  if(band.kind === 'circle') {
    const cx = rect.x + rect.width / 2;
    const cy = rect.y + rect.height / 2;
    const R = Math.min(rect.width, rect.height) / 2;
    const circumference = 2 * Math.PI * R;
    const n = Math.max(12, Math.round(circumference / (b * 2.6)));
    const samples = n * 8;
    for(let k = 0; k < strands; k++) {
      const phase = (k * Math.PI * 2) / strands;
      const points: [number, number][] = [];
      for(let i = 0; i < samples; i++) {
        const t = (i / samples) * Math.PI * 2;
        const off = b * (0.78 * Math.sin(n * t + phase) + 0.22 * Math.sin(3 * n * t - phase));
        points.push([cx + (R + off) * Math.cos(t), cy + (R + off) * Math.sin(t)]);
      }
      waves.push(smoothClosed(points));
    }
    edges.push(circlePath(cx, cy, R + b * 1.15), circlePath(cx, cy, R - b * 1.15));
    return {waves, edges};
  }
  const corner = Math.max(b * 3.5, 6);
  const walker = roundedRectWalker(rect, corner);
  const wavelength = b * 2.6;
  const n = Math.max(8, Math.round(walker.length / wavelength));
  const step = walker.length / (n * 8);
  for(let k = 0; k < strands; k++) {
    const phase = (k * Math.PI * 2) / strands;
    const points: [number, number][] = [];
    for(let i = 0; i < n * 8; i++) {
      const s = i * step;
      const t = (s / walker.length) * Math.PI * 2;
      const [px, py, nx, ny] = walker.at(s);
      const off = b * (0.85 * Math.sin(n * t + phase) + 0.15 * Math.sin(3 * n * t - phase));
      points.push([px + nx * off, py + ny * off]);
    }
    waves.push(smoothClosed(points));
  }
  const grow = (d: number): Rect => ({x: rect.x - d, y: rect.y - d, width: rect.width + 2 * d, height: rect.height + 2 * d});
  edges.push(rectPath(grow(b * 1.15), corner + b * 1.15), rectPath(grow(-b * 1.15), Math.max(0, corner - b * 1.15)));
  return {waves, edges};
}

/** Corner brackets: an L with a small diamond at each corner of the rectangle. */
export function cornerPaths(rect: Rect, arm: number): PathData[] {
  const {x, y, width: w, height: h} = rect;
  const paths: PathData[] = [];
  const corners: [number, number, number, number][] = [[x, y, 1, 1], [x + w, y, -1, 1], [x + w, y + h, -1, -1], [x, y + h, 1, -1]];
  for(const [cx, cy, sx, sy] of corners) {
    paths.push([['M', cx, cy + sy * arm], ['L', cx, cy], ['L', cx + sx * arm, cy]]);
    const d = arm * 0.14;
    const mx = cx + sx * arm * 0.28;
    const my = cy + sy * arm * 0.28;
    paths.push([['M', mx - d, my], ['L', mx, my - d], ['L', mx + d, my], ['L', mx, my + d], ['Z']]);
  }
  return paths;
}

/** Rectangles for the dark modules of a QR matrix, one path, horizontal runs merged. */
export function qrPath(modules: {size: number; get(row: number, col: number): boolean}, rect: Rect): PathData {
  const n = modules.size;
  const cell = rect.width / n;
  const path: PathData = [];
  for(let row = 0; row < n; row++) {
    let col = 0;
    while(col < n) {
      if(!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while(col < n && modules.get(row, col)) col++;
      const x0 = rect.x + start * cell;
      const x1 = rect.x + col * cell;
      const y0 = rect.y + row * cell;
      const y1 = y0 + cell;
      path.push(['M', x0, y0], ['L', x1, y0], ['L', x1, y1], ['L', x0, y1], ['Z']);
    }
  }
  return path;
}

const num = (n: number) => {
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
};

const svgPaths = new WeakMap<PathData, string>();

/** SVG path data (`d`), two decimals; cached per path object. */
export function toSvgPath(path: PathData): string {
  const hit = svgPaths.get(path);
  if(hit !== undefined) return hit;
  const d = svgPathData(path);
  svgPaths.set(path, d);
  return d;
}

function svgPathData(path: PathData): string {
  let out = '';
  for(const c of path) {
    switch(c[0]) {
      case 'M': out += `M${num(c[1])} ${num(c[2])}`; break;
      case 'L': out += `L${num(c[1])} ${num(c[2])}`; break;
      case 'C': out += `C${num(c[1])} ${num(c[2])} ${num(c[3])} ${num(c[4])} ${num(c[5])} ${num(c[6])}`; break;
      case 'Z': out += 'Z'; break;
    }
  }
  return out;
}

/** PDF path operators in canvas units (the page's CTM flips y, as pdfkit sets it up). */
export function toPdfPath(path: PathData): string {
  const parts: string[] = [];
  for(const c of path) {
    switch(c[0]) {
      case 'M': parts.push(`${num(c[1])} ${num(c[2])} m`); break;
      case 'L': parts.push(`${num(c[1])} ${num(c[2])} l`); break;
      case 'C': parts.push(`${num(c[1])} ${num(c[2])} ${num(c[3])} ${num(c[4])} ${num(c[5])} ${num(c[6])} c`); break;
      case 'Z': parts.push('h'); break;
    }
  }
  return parts.join('\n');
}

/** Formats a number for PDF and SVG output. */
export const fmt = num;
