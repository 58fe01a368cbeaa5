/** QR codes that point to a credential's verification URL. */
import QRCode from 'qrcode';

// Medium error correction: survives print wear and a logo-free badge; margin of 4 modules per ISO 18004.
const OPTIONS = {errorCorrectionLevel: 'M' as const, margin: 4};

/** The QR code as an SVG document (vector, for print). */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, {...OPTIONS, type: 'svg'});
}

/** The QR code as a PNG image, `size` pixels wide. */
export function qrPng(url: string, size = 512): Promise<Buffer> {
  return QRCode.toBuffer(url, {...OPTIONS, type: 'png', width: size});
}
