/** Sample data and a sample logo for template previews. */
import {laurelPath, toSvgPath} from './geometry.js';
import {svgToPng} from './png.js';
import {safeBrand} from './scene.js';
import {type AssetLoader, type Brand, DEFAULT_BRAND, type RenderData} from './template.js';

export {DEFAULT_BRAND};

/** Sample data for previews. */
export function sampleRenderData(locale: 'en' | 'sv' = 'en', brand: Brand = DEFAULT_BRAND): RenderData {
  const sv = locale === 'sv';
  return {
    recipient: {name: 'Alexandra Lindqvist'},
    achievement: {
      name: sv ? 'Avancerad dataförvaltning' : 'Advanced Data Stewardship',
      description: sv
        ? 'För framstående insatser i styrning, kvalitet och etisk användning av forskningsdata genom hela projektets livscykel.'
        : 'For demonstrated excellence in the governance, quality and ethical use of research data across the full project lifecycle.',
      type: 'Certificate',
    },
    issuer: {name: sv ? 'Nordiska tekniska institutet' : 'Nordic Institute of Technology', url: 'https://nit.example'},
    issuedOn: '2026-11-27T09:00:00Z',
    validUntil: '2029-11-27T09:00:00Z',
    credential: {id: 'https://laurel.example/c/4f9c2e7a-1b3d-4e5f-8a9b-0c1d2e3f4a5b', url: 'https://laurel.example/c/4f9c2e7a'},
    fields: {},
    locale,
    brand,
  };
}

const logos = new Map<string, Buffer>();

/** A placeholder logo in the brand colours (a PNG), for previews of an organization without a logo. */
export function sampleLogo(brand: Brand = DEFAULT_BRAND): Buffer {
  const b = safeBrand(brand);
  const key = `${b.primary}${b.secondary}`;
  let png = logos.get(key);
  if(!png) {
    const wreath = toSvgPath(laurelPath({x: 16, y: 16, width: 168, height: 168}));
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200">' +
      `<circle cx="100" cy="100" r="98" fill="${b.primary}"/><path d="${wreath}" fill="${b.secondary}"/>` +
      `<circle cx="100" cy="100" r="34" fill="#ffffff"/><circle cx="100" cy="100" r="20" fill="${b.secondary}"/></svg>`;
    png = svgToPng(svg, 200);
    logos.set(key, png);
  }
  return png;
}

/** An AssetLoader with the sample logo and no uploaded assets. */
export function sampleAssets(brand: Brand = DEFAULT_BRAND): AssetLoader {
  return {logo: async () => sampleLogo(brand), asset: async () => null};
}
