/**
 * Template layouts: the stored, versioned JSON that describes a certificate, a diploma
 * or a badge. This module is the contract between the template API (storage, preview,
 * the future visual designer) and the renderers (PDF, SVG, PNG).
 *
 * Coordinates are in canvas units with the origin at the top left: PostScript points
 * (1/72 in) for certificates and diplomas, and pixels of a square canvas for badges.
 * A designer UI moves and resizes blocks in these units; the renderers scale them.
 */
import {z} from 'zod';

/** What a template renders. */
export const TemplateFormat = z.enum(['certificate', 'diploma', 'badge']);
export type TemplateFormat = z.infer<typeof TemplateFormat>;

/** A colour: `#rrggbb`, or a token taken from the issuer's brand at render time. */
export const Color = z.union([
  z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour is #rrggbb or brand.primary, brand.secondary, brand.text'),
  z.enum(['brand.primary', 'brand.secondary', 'brand.text']),
]);
export type Color = z.infer<typeof Color>;

/** The curated font roles; each maps to a vendored open font (see assets/fonts/SOURCES.md). */
export const FontFamily = z.enum(['sans', 'serif', 'display', 'script']);
export const FontWeight = z.enum(['regular', 'semibold', 'bold']);

/** Paper for certificates and diplomas. A4 is 595.28 × 841.89 pt, Letter 612 × 792 pt. */
export const Page = z.strictObject({
  size: z.enum(['A4', 'Letter']),
  orientation: z.enum(['landscape', 'portrait']),
});
export type Page = z.infer<typeof Page>;

/** A badge canvas: square pixels; `round` clips to the inscribed circle. */
export const BadgeCanvas = z.strictObject({
  shape: z.enum(['square', 'round']),
  size: z.number().int().min(128).max(2048).default(600),
});
export type BadgeCanvas = z.infer<typeof BadgeCanvas>;

/** An uploaded image (PNG or JPEG) of the organization, by id. */
const AssetId = z.string().regex(/^[0-9a-f-]{36}$/, 'an asset id is a UUID from POST /api/v1/assets');

export const Background = z.discriminatedUnion('kind', [
  z.strictObject({kind: z.literal('color'), color: Color}),
  /** Angles as in CSS: 90 runs left to right, 180 top to bottom. */
  z.strictObject({kind: z.literal('gradient'), from: Color, to: Color, angle: z.number().min(0).max(360).default(90)}),
  z.strictObject({kind: z.literal('image'), assetId: AssetId, fit: z.enum(['cover', 'contain']).default('cover'), fallback: Color.default('#ffffff')}),
]);
export type Background = z.infer<typeof Background>;

export const Border = z.strictObject({
  style: z.enum(['none', 'line', 'double', 'corners', 'guilloche']),
  color: Color.default('brand.primary'),
  width: z.number().min(0).max(40).default(2),
  /** Distance from the canvas edge. */
  inset: z.number().min(0).max(200).default(24),
});
export type Border = z.infer<typeof Border>;

const BlockId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, 'a block id is a letter then letters, digits, _ or -, up to 40');
const Box = {
  id: BlockId,
  x: z.number().min(-10_000).max(10_000),
  y: z.number().min(-10_000).max(10_000),
  width: z.number().positive().max(10_000),
  height: z.number().positive().max(10_000),
};
const Align = z.enum(['left', 'center', 'right']);

/**
 * Text with placeholders, e.g. `Awarded to {{recipient.name}}`. The text shrinks from
 * `size` down to `minSize` to fit the box, then wraps, then is cut with an ellipsis.
 */
export const TextBlock = z.strictObject({
  ...Box,
  type: z.literal('text'),
  text: z.string().min(1).max(2000),
  font: FontFamily.default('sans'),
  weight: FontWeight.default('regular'),
  size: z.number().min(4).max(400),
  minSize: z.number().min(4).max(400).optional(),
  color: Color.default('brand.text'),
  align: Align.default('center'),
  lineHeight: z.number().min(0.8).max(3).default(1.2),
  maxLines: z.number().int().min(1).max(50).optional(),
  uppercase: z.boolean().default(false),
  letterSpacing: z.number().min(-5).max(50).default(0),
  /** Where the lines sit in the box when they do not fill it (default middle). */
  valign: z.enum(['top', 'middle', 'bottom']).optional(),
  /**
   * Sets one line on a circle centred in the box (badge rims): `radius` is the baseline's
   * radius; `top` reads clockwise over the top, `bottom` reads left to right under the centre.
   */
  arc: z.strictObject({radius: z.number().positive().max(5000), side: z.enum(['top', 'bottom'])}).optional(),
});
export type TextBlock = z.infer<typeof TextBlock>;

/** The issuer's logo, or an uploaded image. */
export const ImageBlock = z.strictObject({
  ...Box,
  type: z.literal('image'),
  source: z.union([z.literal('logo'), z.strictObject({assetId: AssetId})]),
  fit: z.enum(['contain', 'cover']).default('contain'),
});
export type ImageBlock = z.infer<typeof ImageBlock>;

/** A signature line: an optional signature image above a rule, then the signer's name and title (placeholders allowed). */
export const SignatureBlock = z.strictObject({
  ...Box,
  type: z.literal('signature'),
  assetId: AssetId.optional(),
  name: z.string().min(1).max(200),
  title: z.string().max(200).default(''),
  color: Color.default('brand.text'),
  font: FontFamily.default('sans'),
});
export type SignatureBlock = z.infer<typeof SignatureBlock>;

/** A square QR code to the credential's verification URL (vector in PDF and SVG). */
export const QrBlock = z.strictObject({
  ...Box,
  type: z.literal('qr'),
  color: Color.default('#000000'),
  background: Color.default('#ffffff'),
});
export type QrBlock = z.infer<typeof QrBlock>;

/** The "Verify at <url>" line, localized. */
export const VerifyBlock = z.strictObject({
  ...Box,
  type: z.literal('verify'),
  size: z.number().min(4).max(100).default(9),
  color: Color.default('brand.text'),
  align: Align.default('center'),
  font: FontFamily.default('sans'),
});
export type VerifyBlock = z.infer<typeof VerifyBlock>;

/**
 * A rule (horizontal or vertical, along the box's longer side), a rectangle, an ellipse,
 * a five-pointed star, or a laurel wreath, all filling their box.
 */
export const ShapeBlock = z.strictObject({
  ...Box,
  type: z.literal('shape'),
  shape: z.enum(['rect', 'ellipse', 'rule', 'star', 'laurel']),
  fill: Color.optional(),
  stroke: Color.optional(),
  strokeWidth: z.number().min(0).max(40).default(1),
  radius: z.number().min(0).max(1000).default(0),
  /** A linear gradient fill; replaces `fill` when set. Angles as in CSS: 90 runs left to right. */
  gradient: z.strictObject({from: Color, to: Color, angle: z.number().min(0).max(360).default(90)}).optional(),
  /** 0 (invisible) to 1 (opaque, the default). */
  opacity: z.number().min(0).max(1).optional(),
});
export type ShapeBlock = z.infer<typeof ShapeBlock>;

export const Block = z.discriminatedUnion('type', [TextBlock, ImageBlock, SignatureBlock, QrBlock, VerifyBlock, ShapeBlock]);
export type Block = z.infer<typeof Block>;

/** Most blocks in one template. */
export const MAX_BLOCKS = 60;

/** A template layout (what is stored, versioned, per organization). */
export const TemplateLayout = z.strictObject({
  format: TemplateFormat,
  /** Certificates and diplomas. */
  page: Page.optional(),
  /** Badges. */
  badge: BadgeCanvas.optional(),
  background: Background.default({kind: 'color', color: '#ffffff'}),
  border: Border.default({style: 'none', color: 'brand.primary', width: 2, inset: 24}),
  blocks: z.array(Block).max(MAX_BLOCKS),
});
export type TemplateLayout = z.infer<typeof TemplateLayout>;

/** The placeholders every template may use; custom fields are `{{fields.<name>}}`. */
export const PLACEHOLDERS = [
  'recipient.name', 'achievement.name', 'achievement.description', 'achievement.type',
  'issuedOn', 'validUntil', 'issuer.name', 'issuer.url', 'credential.id', 'credential.url',
] as const;
export type Placeholder = typeof PLACEHOLDERS[number];

/** The stable problem codes of validateTemplate. */
export type TemplateProblemCode =
  | 'TEMPLATE_NOT_AN_OBJECT'
  | 'TEMPLATE_INVALID_FIELD'
  | 'TEMPLATE_UNKNOWN_FIELD'
  | 'TEMPLATE_TOO_MANY_BLOCKS'
  | 'TEMPLATE_BLOCK_TYPE_UNKNOWN'
  | 'TEMPLATE_BLOCK_DUPLICATE_ID'
  | 'TEMPLATE_PLACEHOLDER_UNKNOWN'
  | 'TEMPLATE_PLACEHOLDER_MALFORMED'
  | 'TEMPLATE_BLOCK_OUT_OF_BOUNDS'
  | 'TEMPLATE_FORMAT_MISMATCH'
  | 'TEMPLATE_MIN_SIZE_ABOVE_SIZE'
  | 'TEMPLATE_QR_TOO_SMALL';

/** A problem with one template, per block where it belongs, for a designer to show in place. */
export interface TemplateProblem {
  /** Stable code (see TemplateProblemCode), e.g. TEMPLATE_PLACEHOLDER_UNKNOWN. */
  code: TemplateProblemCode | (string & {});
  /** The block's id when the problem belongs to one block. */
  blockId?: string;
  /** JSON path within the layout, e.g. ['blocks', 3, 'size']. */
  path: (string | number)[];
  message: string;
}

/** The brand colours and logo of the issuing organization. */
export interface Brand {
  primary: string;
  secondary: string;
  text: string;
}

/** Laurel's default brand (navy and gold): organizations without colours, and any colour that is not one. */
export const DEFAULT_BRAND: Brand = {primary: '#1f3a5f', secondary: '#b08d3c', text: '#1c1c1c'};

/** Everything a render needs about one credential. Every string is untrusted user text. */
export interface RenderData {
  recipient: {name: string};
  achievement: {name: string; description?: string; type?: string};
  issuer: {name: string; url?: string};
  /** ISO 8601 instants. */
  issuedOn: string;
  validUntil?: string;
  credential: {
    /** The credential's id (its public URL). */
    id: string;
    /** The verification URL the QR code and the "verify at" line point to. */
    url: string;
  };
  /** Custom per-recipient fields from the issue request or the CSV. */
  fields: Record<string, string>;
  locale: 'en' | 'sv';
  brand: Brand;
}

/** Loads images by reference; returns null when absent. Bytes are PNG or JPEG. */
export interface AssetLoader {
  logo(): Promise<Uint8Array | null>;
  asset(id: string): Promise<Uint8Array | null>;
}

/** Canvas size in canvas units. */
export function canvasSize(layout: TemplateLayout): {width: number; height: number} {
  if(layout.format === 'badge') {
    const size = layout.badge?.size ?? 600;
    return {width: size, height: size};
  }
  const page = layout.page ?? {size: 'A4', orientation: 'landscape'};
  const [w, h] = page.size === 'A4' ? [595.28, 841.89] : [612, 792];
  return page.orientation === 'landscape' ? {width: h, height: w} : {width: w, height: h};
}
