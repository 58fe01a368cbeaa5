/** Shared by the template, render and email-PDF tests: layouts, images, multipart bodies and poppler helpers. */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import jsQRModule from 'jsqr';
import {PNG} from 'pngjs';

// jsqr is CommonJS with a default export: under ESM the function may sit on `.default`.
const jsQR = ((jsQRModule as unknown as {default?: unknown}).default ?? jsQRModule) as unknown as
  (data: Uint8ClampedArray, width: number, height: number) => {data: string} | null;

/** A certificate layout using every kind of placeholder a test looks for. */
export function certificateLayout(title = 'Certificate of {{achievement.name}}', extra: Record<string, unknown>[] = []) {
  return {
    format: 'certificate',
    page: {size: 'A4', orientation: 'landscape'},
    background: {kind: 'color', color: '#ffffff'},
    border: {style: 'line', color: 'brand.primary', width: 3, inset: 24},
    blocks: [
      {id: 'title', type: 'text', x: 60, y: 60, width: 720, height: 50, text: title, size: 28, weight: 'bold'},
      {id: 'name', type: 'text', x: 60, y: 150, width: 720, height: 50, text: '{{recipient.name}}', size: 26, font: 'serif'},
      {id: 'grade', type: 'text', x: 60, y: 230, width: 720, height: 30, text: 'Grade: {{fields.grade}}', size: 16},
      {id: 'qr', type: 'qr', x: 660, y: 400, width: 130, height: 130},
      {id: 'verify', type: 'verify', x: 60, y: 540, width: 720, height: 20},
      ...extra,
    ],
  };
}

/** A round badge layout. */
export function badgeLayout(text = '{{achievement.name}}') {
  return {
    format: 'badge',
    badge: {shape: 'round', size: 400},
    background: {kind: 'color', color: 'brand.primary'},
    blocks: [{id: 'label', type: 'text', x: 40, y: 170, width: 320, height: 60, text, size: 30, color: '#ffffff'}],
  };
}

/** A PNG of `width`×`height` pixels (pngjs). */
export function pngBytes(width = 30, height = 20, rgb: [number, number, number] = [200, 40, 40]): Buffer {
  const png = new PNG({width, height});
  for(let i = 0; i < width * height; i++) png.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(png);
}

// A 20×15 baseline JPEG (JFIF), made for this test with pdfkit (a blue page with a yellow square) and `pdftoppm -jpeg -r 36`.
export const JPEG_20x15 = Buffer.from('/9j/4AAQSkZJRgABAQEAJAAkAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAPABQDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDkaKKK+WP3E//Z', 'base64');

/** A multipart/form-data body with one file part. */
export function multipart(bytes: Buffer, filename = 'image.png', contentType = 'image/png', field = 'file'): {payload: Buffer; headers: Record<string, string>} {
  const boundary = `----laurel${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {payload: Buffer.concat([head, bytes, tail]), headers: {'content-type': `multipart/form-data; boundary=${boundary}`}};
}

/** Runs a poppler tool on a PDF in a scratch directory. */
function withPdf<T>(pdf: Buffer, fn: (dir: string, file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-pdf-'));
  try {
    const file = join(dir, 'c.pdf');
    writeFileSync(file, pdf);
    return fn(dir, file);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

/** The text of a PDF (poppler's pdftotext). */
export function pdfText(pdf: Buffer): string {
  return withPdf(pdf, (_dir, file) => execFileSync('pdftotext', ['-layout', file, '-'], {encoding: 'utf8'}));
}

/** The file attached to a PDF under `name` (poppler's pdfdetach), or null when there is none. */
export function pdfAttachment(pdf: Buffer, name: string): string | null {
  return withPdf(pdf, (dir, file) => {
    const list = execFileSync('pdfdetach', ['-list', file], {encoding: 'utf8'});
    if(!list.split('\n').some(line => line.trim().endsWith(` ${name}`) || line.trim() === name)) return null;
    execFileSync('pdfdetach', ['-savefile', name, '-o', join(dir, 'out'), file]);
    return readFileSync(join(dir, 'out'), 'utf8');
  });
}

/** The QR code on the first page of a PDF: rasterised by pdftoppm at 150 dpi, decoded by jsQR. */
export function pdfQr(pdf: Buffer): string | null {
  return withPdf(pdf, (dir, file) => {
    execFileSync('pdftoppm', ['-png', '-r', '150', '-singlefile', file, join(dir, 'page')]);
    const png = PNG.sync.read(readFileSync(join(dir, 'page.png')));
    return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data ?? null;
  });
}
