/**
 * Uploaded images of an organization (logos, backgrounds, signatures) that templates
 * reference by id. Only PNG and JPEG, recognised by their magic bytes: never SVG (it
 * can carry scripts and external references), never what a client merely claims.
 */
import {createHash, randomUUID} from 'node:crypto';
import {type AssetRow, existingAssetIds, findAsset, insertAsset} from '../db/templates-repo.js';
import type {Queryable} from '../db/database.js';
import type {OrganizationRow} from '../db/rows.js';
import {DomainError, notFound} from '../errors.js';
import type {AssetLoader} from '../render/template.js';
import type {Actor} from './actor.js';
import type {AuditService} from './audit.js';
import type {ServiceContext} from './context.js';

/** Largest upload: 5 MiB. */
export const MAX_ASSET_BYTES = 5 * 1024 * 1024;
/** Largest side and area of an image, so a small file cannot decode into gigabytes when rendered. */
export const MAX_ASSET_SIDE = 10_000;
export const MAX_ASSET_PIXELS = 40_000_000;

/** The API view of an asset. */
export interface AssetView {
  id: string;
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  createdAt: string;
}

/** What an image's header says, or why it is refused. */
export type ImageHeader = {ok: true; mime: 'image/png' | 'image/jpeg'; width: number; height: number}
  | {ok: false; status: 415 | 422; detected: string; message: string};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is an asset id (a UUID), as opposed to a URL. */
export function isAssetId(value: string | null | undefined): value is string {
  return typeof value === 'string' && UUID.test(value);
}

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

/** CRC-32 (PNG §5.5). */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for(const b of bytes) {
    c ^= b;
    for(let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** Reads the type and size of an image from its first bytes (PNG IHDR, PNG §11.2.2; JPEG SOFn, ITU T.81 §B.2.2). */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const refuse = (detected: string, what: string): ImageHeader =>
    ({ok: false, status: 415, detected, message: `${what} is not accepted: upload a PNG or JPEG image.`});
  if(startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return pngHeader(bytes);
  if(startsWith(bytes, [0xff, 0xd8, 0xff])) return jpegHeader(bytes);
  if(startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return refuse('gif', 'GIF');
  if(startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes.subarray(8), [0x57, 0x45, 0x42, 0x50])) return refuse('webp', 'WebP');
  const head = Buffer.from(bytes.subarray(0, 512)).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if(head.startsWith('<')) {
    return head.includes('<svg') ? refuse('svg', 'SVG (it can carry scripts and external references)') : refuse('markup', 'Markup (XML or HTML)');
  }
  return refuse('unknown', 'This file type');
}

function invalid(mime: string, message: string): ImageHeader {
  return {ok: false, status: 422, detected: mime, message};
}

function checkSize(mime: 'image/png' | 'image/jpeg', width: number, height: number): ImageHeader {
  if(width < 1 || height < 1) return invalid(mime, 'The image has no pixels.');
  if(width > MAX_ASSET_SIDE || height > MAX_ASSET_SIDE || width * height > MAX_ASSET_PIXELS) {
    return invalid(mime, `The image is ${width}×${height}; the largest accepted is ${MAX_ASSET_SIDE} pixels a side and ${MAX_ASSET_PIXELS / 1e6} megapixels.`);
  }
  return {ok: true, mime, width, height};
}

function pngHeader(bytes: Uint8Array): ImageHeader {
  // The IHDR chunk comes first (PNG §5.6): length 13, type, width, height, …, CRC.
  if(bytes.length < 33) return invalid('png', 'The PNG is cut short.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if(view.getUint32(8) !== 13 || type !== 'IHDR') return invalid('png', 'The PNG does not start with its header chunk (IHDR).');
  if(crc32(bytes.subarray(12, 29)) !== view.getUint32(29)) return invalid('png', 'The PNG header chunk is corrupt (CRC mismatch).');
  return checkSize('image/png', view.getUint32(16), view.getUint32(20));
}

function jpegHeader(bytes: Uint8Array): ImageHeader {
  let i = 2;
  while(i + 4 <= bytes.length) {
    if(bytes[i] !== 0xff) return invalid('jpeg', 'The JPEG is corrupt (no marker where one is due).');
    const marker = bytes[i + 1];
    if(marker === 0xff) { i++; continue; }
    if(marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    if(marker === 0xd9 || marker === 0xda) break;
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if(length < 2) return invalid('jpeg', 'The JPEG is corrupt (a segment is too short).');
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if(marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if(i + 9 > bytes.length) break;
      return checkSize('image/jpeg', (bytes[i + 7] << 8) | bytes[i + 8], (bytes[i + 5] << 8) | bytes[i + 6]);
    }
    i += 2 + length;
  }
  return invalid('jpeg', 'The JPEG has no frame header (SOF) before its image data.');
}

function assetView(row: AssetRow): AssetView {
  return {id: row.id, mime: row.mime, width: row.width, height: row.height, sha256: Buffer.from(row.sha256).toString('hex'),
    createdAt: row.created_at.toISOString()};
}

/** Uploaded images: store (deduplicated), read, check references, and load for renders. */
export class AssetService {
  constructor(private readonly ctx: ServiceContext, private readonly audit: AuditService) {}

  /** Stores an image; the organization's identical image is returned instead of a copy (`created: false`). */
  async upload(org: OrganizationRow, bytes: Uint8Array, actor: Actor): Promise<{asset: AssetView; created: boolean}> {
    if(bytes.length > MAX_ASSET_BYTES) throw new DomainError('ASSET_TOO_LARGE', 413, `An image may be at most ${MAX_ASSET_BYTES / 1024 / 1024} MiB.`);
    if(bytes.length === 0) throw new DomainError('ASSET_INVALID', 422, 'The file is empty.', {detected: 'empty'});
    const header = readImageHeader(bytes);
    if(!header.ok) {
      throw new DomainError(header.status === 415 ? 'ASSET_TYPE_UNSUPPORTED' : 'ASSET_INVALID', header.status, header.message, {detected: header.detected});
    }
    const sha256 = createHash('sha256').update(bytes).digest();
    const result = await this.ctx.db.transaction(async tx => {
      const stored = await insertAsset(tx, {id: randomUUID(), organization_id: org.id, mime: header.mime, sha256, bytes,
        width: header.width, height: header.height, created_at: this.ctx.now()});
      if(stored.created) {
        await this.audit.append(tx, [{organizationId: org.id, actor, action: 'asset.uploaded', subjectType: 'asset', subjectId: stored.row.id,
          after: {mime: header.mime, width: header.width, height: header.height, bytes: bytes.length, sha256: sha256.toString('hex')}}]);
      }
      return stored;
    });
    return {asset: assetView(result.row), created: result.created};
  }

  /** An asset of this organization with its bytes, or 404. */
  async get(org: OrganizationRow, id: string): Promise<{view: AssetView; bytes: Uint8Array}> {
    const row = isAssetId(id) ? await findAsset(this.ctx.db, org.id, id) : null;
    if(!row) throw notFound('ASSET_NOT_FOUND', `Asset ${id}`);
    return {view: assetView(row), bytes: row.bytes};
  }

  /** Which of `ids` exist in the organization. */
  existing(q: Queryable, org: OrganizationRow, ids: string[]): Promise<Set<string>> {
    return existingAssetIds(q, org.id, [...new Set(ids.filter(id => isAssetId(id)))]);
  }

  /** Images for the renderers: the organization's assets, and its logo when it is one of them (a logo URL is not fetched). */
  loader(org: OrganizationRow): AssetLoader {
    const cache = new Map<string, Promise<Uint8Array | null>>();
    const load = (id: string) => {
      let hit = cache.get(id);
      if(!hit) {
        hit = isAssetId(id) ? findAsset(this.ctx.db, org.id, id).then(row => row ? Buffer.from(row.bytes) : null) : Promise.resolve(null);
        cache.set(id, hit);
      }
      return hit;
    };
    return {
      logo: () => isAssetId(org.logo) ? load(org.logo) : Promise.resolve(null),
      asset: id => load(id),
    };
  }
}
