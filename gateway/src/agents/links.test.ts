import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnrollDeepLink } from '@packetpilot/protocol';
import { enrollmentLinks } from './links.js';

test('the QR code encodes a deep link with the gateway and the code; SVG and PNG both', () => {
  const links = enrollmentLinks('http://192.168.1.1:8080/', 'ABCDE-FGHJK');
  assert.equal(links.url, 'http://192.168.1.1:8080/enroll?code=ABCDE-FGHJK');
  assert.equal(
    links.deepLink,
    'packetpilot://enroll?gateway=http%3A%2F%2F192.168.1.1%3A8080&code=ABCDE-FGHJK',
  );
  assert.deepEqual(parseEnrollDeepLink(links.deepLink), {
    gateway: 'http://192.168.1.1:8080',
    code: 'ABCDE-FGHJK',
  });
  assert.match(links.qr.svg, /^<svg[\s>]/);
  assert.match(links.qr.svg, /<path /);
  const png = Buffer.from(links.qr.pngBase64, 'base64');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 200, `PNG of ${png.length} bytes`);
});

test('deep links of other schemes or without both fields are not enrollment links', () => {
  for (const link of [
    'https://example.org/enroll?gateway=http%3A%2F%2Fa&code=X',
    'packetpilot://other?gateway=http%3A%2F%2Fa&code=X',
    'packetpilot://enroll?code=X',
    'packetpilot://enroll?gateway=javascript%3Aalert(1)&code=X',
    'not a url',
  ]) {
    assert.equal(parseEnrollDeepLink(link), null, link);
  }
});
