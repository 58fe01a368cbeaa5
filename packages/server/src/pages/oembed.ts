/** oEmbed 1.0 (https://oembed.com/ §2.3): the `rich` response for a credential page. */
import {EMBED_SIZE, embedSnippet} from './share.js';

/** An oEmbed 1.0 rich response. */
export interface OEmbedRich {
  version: '1.0';
  type: 'rich';
  title: string;
  author_name: string;
  author_url?: string;
  provider_name: string;
  provider_url: string;
  cache_age: number;
  html: string;
  width: number;
  height: number;
  thumbnail_url: string;
  thumbnail_width: number;
  thumbnail_height: number;
}

/** The size of the badge image (/c/<id>/badge.png) given as the thumbnail. */
export const BADGE_THUMBNAIL = 600;

/**
 * Parses `maxwidth` / `maxheight` (§2.2: the consumer's limits). A missing or
 * non-positive value means no limit; anything else that is not a whole number is refused.
 */
export function parseMaxSize(value: unknown): number | null | 'invalid' {
  if(value === undefined || value === '') return null;
  if(typeof value !== 'string' || !/^\d{1,6}$/.test(value)) return 'invalid';
  const n = Number(value);
  return n > 0 ? n : null;
}

/** The response: the iframe fits within maxwidth × maxheight (§2.3.4: rich html must respect them). */
export function oembedRich(o: {
  title: string; authorName: string; authorUrl?: string | null; providerName: string; providerUrl: string;
  embedUrl: string; thumbnailUrl: string; maxwidth?: number | null; maxheight?: number | null;
}): OEmbedRich {
  const width = Math.max(1, Math.min(EMBED_SIZE.width, o.maxwidth ?? EMBED_SIZE.width));
  const height = Math.max(1, Math.min(EMBED_SIZE.height, o.maxheight ?? EMBED_SIZE.height));
  return {
    version: '1.0', type: 'rich', title: o.title, author_name: o.authorName,
    ...(o.authorUrl ? {author_url: o.authorUrl} : {}),
    provider_name: o.providerName, provider_url: o.providerUrl, cache_age: 3600,
    html: embedSnippet(o.embedUrl, o.title, {width, height}), width, height,
    thumbnail_url: o.thumbnailUrl, thumbnail_width: BADGE_THUMBNAIL, thumbnail_height: BADGE_THUMBNAIL,
  };
}
