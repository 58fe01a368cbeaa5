/**
 * Images from the AssetLoader: only PNG and JPEG, recognized by their magic bytes (never
 * by a declared type, and never SVG: an SVG can carry script and external references).
 */
import {createHash} from 'node:crypto';
import type {Rect} from './layout.js';

/** A decoded-enough image: its bytes, type and pixel size. */
export interface RasterImage {
  type: 'png' | 'jpeg';
  bytes: Uint8Array;
  width: number;
  height: number;
  /** sha256 of the bytes, hex: the key of every per-image cache. */
  key: string;
}

/** Largest image accepted, in pixels (decompression bombs). */
const MAX_PIXELS = 40_000_000;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(b: Uint8Array): {width: number; height: number} | null {
  if(b.length < 33 || !PNG_MAGIC.every((v, i) => b[i] === v)) return null;
  // The first chunk must be IHDR (PNG §11.2.2).
  if(String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {width: view.getUint32(16), height: view.getUint32(20)};
}

function jpegSize(b: Uint8Array): {width: number; height: number} | null {
  if(b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8 || b[2] !== 0xff) return null;
  let pos = 2;
  while(pos + 9 < b.length) {
    if(b[pos] !== 0xff) return null;
    const marker = b[pos + 1];
    if(marker === 0xff) {
      pos++;
      continue;
    }
    const length = (b[pos + 2] << 8) | b[pos + 3];
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if(marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return {height: (b[pos + 5] << 8) | b[pos + 6], width: (b[pos + 7] << 8) | b[pos + 8]};
    }
    pos += 2 + length;
  }
  return null;
}

const sniffed = new WeakMap<Uint8Array, RasterImage | null>();

/** The image if the bytes are a PNG or JPEG of a sane size, else null. Cached per byte array. */
export function sniffImage(bytes: Uint8Array | null | undefined): RasterImage | null {
  if(!bytes) return null;
  const hit = sniffed.get(bytes);
  if(hit !== undefined) return hit;
  let image: RasterImage | null = null;
  const png = pngSize(bytes);
  const jpeg = png ? null : jpegSize(bytes);
  const size = png ?? jpeg;
  if(size && size.width > 0 && size.height > 0 && size.width * size.height <= MAX_PIXELS) {
    image = {type: png ? 'png' : 'jpeg', bytes, ...size, key: createHash('sha256').update(bytes).digest('hex')};
  }
  sniffed.set(bytes, image);
  return image;
}

/** Where an image of `w × h` is drawn in `box`: contain (letterboxed, centred) or cover (cropped, centred). */
export function fitImage(w: number, h: number, box: Rect, fit: 'contain' | 'cover', anchorY: 'middle' | 'bottom' = 'middle'): Rect {
  const scale = fit === 'contain' ? Math.min(box.width / w, box.height / h) : Math.max(box.width / w, box.height / h);
  const width = w * scale;
  const height = h * scale;
  const y = anchorY === 'bottom' ? box.y + box.height - height : box.y + (box.height - height) / 2;
  return {x: box.x + (box.width - width) / 2, y, width, height};
}

const dataUris = new Map<string, string>();

/** The image as a data: URI (cached; the cache is bounded). */
export function dataUri(image: RasterImage): string {
  let uri = dataUris.get(image.key);
  if(!uri) {
    uri = `data:image/${image.type};base64,${Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64')}`;
    if(dataUris.size > 64) dataUris.clear();
    dataUris.set(image.key, uri);
  }
  return uri;
}
