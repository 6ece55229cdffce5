/** The otpauth URL as an SVG QR code (qrcode-generator: pure JS, no dependencies), for clients that show it as is. */
import qrcode from 'qrcode-generator';

export function qrCodeSvg(text: string): string {
  // Type 0: the smallest version that holds the text; level M: 15% of the code may be damaged.
  const code = qrcode(0, 'M');
  code.addData(text, 'Byte');
  code.make();
  return code.createSvgTag({ cellSize: 1, margin: 4, scalable: true });
}
