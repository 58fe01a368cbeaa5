/**
 * The starter templates that ship with Laurel. Colours are brand tokens wherever the brand
 * should show, so every issuer's starter looks like theirs.
 */
import type {z} from 'zod';
import {TemplateLayout} from './template.js';

type LayoutInput = z.input<typeof TemplateLayout>;

/** A4 landscape: a guilloche band, a display title, the name in script, one signature, the QR code. */
const classicCertificate: LayoutInput = {
  format: 'certificate',
  page: {size: 'A4', orientation: 'landscape'},
  background: {kind: 'color', color: '#fffdf7'},
  border: {style: 'guilloche', color: 'brand.primary', width: 14, inset: 20},
  blocks: [
    {id: 'frame', type: 'shape', shape: 'rect', x: 50, y: 50, width: 741.89, height: 495.28, stroke: 'brand.secondary', strokeWidth: 0.75},
    {id: 'logo', type: 'image', source: 'logo', x: 375.95, y: 66, width: 90, height: 46},
    {id: 'title', type: 'text', text: 'Certificate of Achievement', font: 'display', weight: 'bold', size: 36, minSize: 24,
      color: 'brand.primary', x: 110, y: 118, width: 621.89, height: 48, maxLines: 1},
    {id: 'ornament-left', type: 'shape', shape: 'rule', x: 330.95, y: 172, width: 78, height: 2, stroke: 'brand.secondary', strokeWidth: 0.9},
    {id: 'ornament-star', type: 'shape', shape: 'star', x: 414.95, y: 167, width: 12, height: 12, fill: 'brand.secondary'},
    {id: 'ornament-right', type: 'shape', shape: 'rule', x: 432.95, y: 172, width: 78, height: 2, stroke: 'brand.secondary', strokeWidth: 0.9},
    {id: 'presented', type: 'text', text: 'This is to certify that', font: 'sans', weight: 'semibold', size: 9.5, uppercase: true,
      letterSpacing: 2.6, color: 'brand.text', x: 170, y: 190, width: 501.89, height: 16},
    {id: 'recipient', type: 'text', text: '{{recipient.name}}', font: 'script', size: 60, minSize: 26, maxLines: 1,
      color: 'brand.text', x: 100, y: 206, width: 641.89, height: 78},
    {id: 'name-rule', type: 'shape', shape: 'rule', x: 240.95, y: 284, width: 360, height: 2, stroke: 'brand.secondary', strokeWidth: 0.75},
    {id: 'completed', type: 'text', text: 'has successfully completed', font: 'serif', size: 14, color: 'brand.text',
      x: 170, y: 292, width: 501.89, height: 20},
    {id: 'achievement', type: 'text', text: '{{achievement.name}}', font: 'serif', weight: 'semibold', size: 25, minSize: 16,
      maxLines: 2, lineHeight: 1.1, color: 'brand.primary', x: 130, y: 314, width: 581.89, height: 58},
    {id: 'description', type: 'text', text: '{{achievement.description}}', font: 'serif', size: 12.5, minSize: 10, maxLines: 3,
      lineHeight: 1.3, color: 'brand.text', x: 175, y: 376, width: 491.89, height: 52},
    {id: 'date', type: 'signature', name: '{{issuedOn}}', title: 'Date of issue', font: 'serif', x: 120, y: 440, width: 190, height: 66},
    {id: 'qr', type: 'qr', x: 385.95, y: 434, width: 70, height: 70},
    {id: 'signature', type: 'signature', name: '{{issuer.name}}', title: 'Authorized signature', font: 'serif', x: 531.89, y: 440, width: 190, height: 66},
    {id: 'verify', type: 'verify', size: 8.5, color: 'brand.text', x: 160, y: 511, width: 521.89, height: 14},
  ],
};

/** A4 portrait: a gradient band in the brand colours, serif type, three signature lines, the QR code. */
const modernDiploma: LayoutInput = {
  format: 'diploma',
  page: {size: 'A4', orientation: 'portrait'},
  background: {kind: 'color', color: '#ffffff'},
  border: {style: 'none'},
  blocks: [
    {id: 'band', type: 'shape', shape: 'rect', x: 0, y: 0, width: 595.28, height: 200, fill: 'brand.primary'},
    {id: 'band-sheen', type: 'shape', shape: 'rect', x: 0, y: 0, width: 595.28, height: 200, opacity: 0.45,
      gradient: {from: 'brand.primary', to: 'brand.secondary', angle: 115}},
    {id: 'band-edge', type: 'shape', shape: 'rect', x: 0, y: 200, width: 595.28, height: 4, fill: 'brand.secondary'},
    {id: 'band-wreath', type: 'shape', shape: 'laurel', x: 397.64, y: 10, width: 180, height: 180, fill: '#ffffff', opacity: 0.13},
    {id: 'logo-card', type: 'shape', shape: 'rect', x: 257.64, y: 38, width: 80, height: 80, radius: 18, fill: '#ffffff'},
    {id: 'logo', type: 'image', source: 'logo', x: 267.64, y: 48, width: 60, height: 60},
    {id: 'label', type: 'text', text: 'Diploma', font: 'sans', weight: 'semibold', size: 13, uppercase: true, letterSpacing: 7,
      color: '#ffffff', x: 60, y: 140, width: 475.28, height: 22},
    {id: 'achievement', type: 'text', text: '{{achievement.name}}', font: 'display', weight: 'bold', size: 32, minSize: 18, maxLines: 2,
      lineHeight: 1.15, color: 'brand.primary', x: 60, y: 236, width: 475.28, height: 82},
    {id: 'ornament-left', type: 'shape', shape: 'rule', x: 217.64, y: 334, width: 66, height: 2, stroke: 'brand.secondary', strokeWidth: 0.9},
    {id: 'ornament-star', type: 'shape', shape: 'star', x: 290.64, y: 329, width: 14, height: 14, fill: 'brand.secondary'},
    {id: 'ornament-right', type: 'shape', shape: 'rule', x: 311.64, y: 334, width: 66, height: 2, stroke: 'brand.secondary', strokeWidth: 0.9},
    {id: 'awarded', type: 'text', text: 'This diploma is awarded to', font: 'serif', size: 15, color: 'brand.text', x: 60, y: 356, width: 475.28, height: 22},
    {id: 'recipient', type: 'text', text: '{{recipient.name}}', font: 'serif', weight: 'semibold', size: 40, minSize: 22, maxLines: 2,
      lineHeight: 1.1, color: 'brand.text', x: 50, y: 382, width: 495.28, height: 90},
    {id: 'description', type: 'text', text: '{{achievement.description}}', font: 'serif', size: 13, minSize: 10, maxLines: 5,
      lineHeight: 1.4, color: 'brand.text', x: 85, y: 482, width: 425.28, height: 96},
    {id: 'issued', type: 'text', text: '{{issuer.name}} · {{issuedOn}}', font: 'sans', weight: 'semibold', size: 9.5, uppercase: true,
      letterSpacing: 1.6, color: 'brand.primary', maxLines: 1, minSize: 7, x: 60, y: 598, width: 475.28, height: 16},
    {id: 'signature-1', type: 'signature', name: 'Programme Director', title: '{{issuer.name}}', font: 'serif', x: 48, y: 634, width: 150, height: 78},
    {id: 'signature-2', type: 'signature', name: 'Dean', title: '{{issuer.name}}', font: 'serif', x: 222.64, y: 634, width: 150, height: 78},
    {id: 'signature-3', type: 'signature', name: 'Registrar', title: '{{issuer.name}}', font: 'serif', x: 397.28, y: 634, width: 150, height: 78},
    {id: 'qr', type: 'qr', x: 266.64, y: 730, width: 62, height: 62},
    {id: 'verify', type: 'verify', size: 8, color: 'brand.text', x: 60, y: 796, width: 475.28, height: 14},
    {id: 'foot', type: 'shape', shape: 'rect', x: 0, y: 827.89, width: 595.28, height: 14, gradient: {from: 'brand.primary', to: 'brand.secondary', angle: 90}},
  ],
};

/** A round 600 px badge: brand rings, a guilloche rim, the issuer along the top, a laurel round the achievement. */
const roundBadge: LayoutInput = {
  format: 'badge',
  badge: {shape: 'round', size: 600},
  background: {kind: 'color', color: 'brand.primary'},
  border: {style: 'guilloche', color: 'brand.secondary', width: 14, inset: 10},
  blocks: [
    {id: 'ring', type: 'shape', shape: 'ellipse', x: 50, y: 50, width: 500, height: 500, stroke: '#ffffff', strokeWidth: 1.5},
    {id: 'disc', type: 'shape', shape: 'ellipse', x: 98, y: 98, width: 404, height: 404, fill: '#ffffff', stroke: 'brand.secondary', strokeWidth: 4},
    {id: 'issuer', type: 'text', text: '{{issuer.name}}', font: 'sans', weight: 'semibold', size: 22, minSize: 13, uppercase: true,
      letterSpacing: 2.5, color: '#ffffff', x: 0, y: 0, width: 600, height: 600, arc: {radius: 219, side: 'top'}},
    {id: 'date', type: 'text', text: '{{issuedOn}}', font: 'sans', weight: 'semibold', size: 16, minSize: 10, uppercase: true,
      letterSpacing: 2, color: '#ffffff', x: 0, y: 0, width: 600, height: 600, arc: {radius: 233, side: 'bottom'}},
    {id: 'star-left', type: 'shape', shape: 'star', x: 62, y: 289, width: 22, height: 22, fill: 'brand.secondary'},
    {id: 'star-right', type: 'shape', shape: 'star', x: 516, y: 289, width: 22, height: 22, fill: 'brand.secondary'},
    {id: 'wreath', type: 'shape', shape: 'laurel', x: 128, y: 128, width: 344, height: 344, fill: 'brand.secondary'},
    {id: 'star-top', type: 'shape', shape: 'star', x: 285, y: 190, width: 30, height: 30, fill: 'brand.secondary'},
    {id: 'achievement', type: 'text', text: '{{achievement.name}}', font: 'display', weight: 'bold', size: 38, minSize: 16, maxLines: 4,
      lineHeight: 1.08, color: 'brand.primary', x: 194, y: 226, width: 212, height: 128},
    {id: 'rule', type: 'shape', shape: 'rule', x: 260, y: 364, width: 80, height: 2, stroke: 'brand.secondary', strokeWidth: 1.5},
    {id: 'recipient', type: 'text', text: '{{recipient.name}}', font: 'sans', weight: 'semibold', size: 17, minSize: 10, maxLines: 2,
      lineHeight: 1.15, color: 'brand.text', x: 190, y: 372, width: 220, height: 44},
  ],
};

/** The three starter templates that ship with Laurel. */
export const STARTER_TEMPLATES: {key: 'classic-certificate' | 'modern-diploma' | 'round-badge'; name: string; layout: TemplateLayout}[] = [
  {key: 'classic-certificate', name: 'Classic certificate', layout: TemplateLayout.parse(classicCertificate)},
  {key: 'modern-diploma', name: 'Modern diploma', layout: TemplateLayout.parse(modernDiploma)},
  {key: 'round-badge', name: 'Round badge', layout: TemplateLayout.parse(roundBadge)},
];
