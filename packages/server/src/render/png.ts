/** SVG → PNG with resvg. Text is already outlines, so no system fonts are loaded. */
import {Resvg} from '@resvg/resvg-js';

/** Largest PNG width we produce (a 2× A4 landscape is 1684). */
export const MAX_PNG_WIDTH = 8000;

/** Rasterizes an SVG document to a PNG `width` pixels wide. */
export function svgToPng(svg: string, width: number): Buffer {
  const value = Math.max(16, Math.min(MAX_PNG_WIDTH, Math.round(width)));
  const resvg = new Resvg(svg, {fitTo: {mode: 'width', value}, font: {loadSystemFonts: false}, shapeRendering: 2, imageRendering: 0});
  return resvg.render().asPng();
}
