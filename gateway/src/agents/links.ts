/**
 * What an admin hands to a new agent: the code, a URL for people, and a QR code of the deep link
 * the Android app reads (`packetpilot://enroll?gateway=…&code=…`, see protocol/src/agents.ts).
 */
import qr from 'qr-image';
import { enrollDeepLink, type EnrollmentCreated } from '@packetpilot/protocol';

export function enrollmentLinks(
  gatewayBaseUrl: string,
  code: string,
): Pick<EnrollmentCreated, 'url' | 'deepLink' | 'qr'> {
  const base = gatewayBaseUrl.replace(/\/+$/, '');
  const deepLink = enrollDeepLink(base, code);
  // Q: a quarter of the symbol may be unreadable (a phone camera at an angle, a glare on a screen).
  const svg = qr.imageSync(deepLink, { type: 'svg', ec_level: 'Q', margin: 4 });
  const png = qr.imageSync(deepLink, { type: 'png', ec_level: 'Q', margin: 4, size: 6 });
  return {
    url: `${base}/enroll?code=${encodeURIComponent(code)}`,
    deepLink,
    qr: {
      svg: typeof svg === 'string' ? svg : svg.toString('utf8'),
      pngBase64: (typeof png === 'string' ? Buffer.from(png, 'binary') : png).toString('base64'),
    },
  };
}
