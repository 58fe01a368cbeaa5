// Test PDFs made with pdfkit (shared by the core, CLI and server tests).
import PDFDocument from 'pdfkit';

/** A file to attach: its name, content, MIME type (default: JSON for *.json, else text) and whether it is hidden. */
export interface PdfFile {
  name: string;
  content: string | Uint8Array;
  type?: string;
  hidden?: boolean;
}

/** A one-page PDF made by pdfkit with these attachments. */
export async function pdfkitPdf(files: PdfFile[], options: {compress?: boolean; userPassword?: string} = {}): Promise<Uint8Array> {
  const doc = new PDFDocument({compress: options.compress ?? true, userPassword: options.userPassword, pdfVersion: '1.7'});
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>(resolve => doc.on('end', () => resolve()));
  doc.text('A certificate');
  for(const f of files) {
    doc.file(Buffer.from(f.content), {name: f.name, type: f.type ?? (f.name.endsWith('.json') ? 'application/ld+json' : 'text/plain'), hidden: f.hidden});
  }
  doc.end();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}
