import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Catalog, DEFAULT_CATALOG_DIR, type CatalogSources } from './catalog.js';
import { isValidName, longestSuffix, suffixesOf } from './names.js';

const shipped = Catalog.load();

test('shipped catalogue: every service file has one category and a display name, every listed service a file', () => {
  assert.deepEqual(shipped.problems, []);
  const files = readdirSync(join(DEFAULT_CATALOG_DIR, 'services')).filter(
    (f) => f !== 'LICENSE' && f !== 'NOTICE',
  );
  assert.equal(files.length, 43);
  const services = shipped.services();
  assert.deepEqual(services.map((s) => s.id).sort(), files.sort());
  for (const s of services) {
    assert.ok(s.category, `${s.id} has no category`);
    assert.ok(s.domainCount > 0 && s.domainCount === s.domains.length, `${s.id} has no domains`);
  }
  const listed = shipped.categories().flatMap((c) => c.services);
  assert.equal(new Set(listed).size, listed.length, 'a service is in two categories');
  assert.deepEqual([...listed].sort(), files.sort());
  for (const c of shipped.categories()) assert.ok(c.services.length > 0, `${c.id} is empty`);
  assert.equal(shipped.service('youtube')?.name, 'YouTube');
});

test('shipped catalogue: the one malformed upstream line (a non-ASCII hyphen) is skipped and counted', () => {
  assert.ok(
    shipped.warnings.some((w) => w.startsWith('bypass/vpn:') && w.includes('dialup.net')),
    shipped.warnings.join('\n'),
  );
  for (const w of shipped.warnings) assert.match(w, /^(services|bypass)\/[a-z0-9-]+(:\d+)?: /);
});

test('domain → service and category: the name and its subdomains, longest suffix, case-insensitive', () => {
  const cases: Array<[string, string | null, string | null]> = [
    ['www.youtube.com', 'youtube', 'video'],
    ['youtube.com', 'youtube', 'video'],
    ['WWW.YouTube.COM.', 'youtube', 'video'],
    ['r3---sn-4g5e6nz7.googlevideo.com', 'youtube', 'video'],
    ['foo.youtube', 'youtube', 'video'], // the .youtube TLD is on Google's list
    ['youtube.com.evil.net', null, null],
    ['evilyoutube.com', null, null],
    ['com', null, null],
    ['', null, null],
    ['www.netflix.com', 'netflix', 'video'],
    ['www.tiktok.com', 'tiktok', 'social'],
    ['store.steampowered.com', 'steam', 'gaming'],
    ['chat.openai.com', 'chatgpt', 'ai'],
    ['example.com', null, null],
  ];
  for (const [name, service, category] of cases) {
    assert.equal(shipped.serviceForDomain(name)?.id ?? null, service, name);
    assert.equal(shipped.categoryForDomain(name)?.id ?? null, category, name);
  }
});

test('bypass kinds', () => {
  const cases: Array<[string, string | null]> = [
    ['dns.google', 'encrypted-dns'],
    ['DNS.Google.', 'encrypted-dns'],
    ['mozilla.cloudflare-dns.com', 'encrypted-dns'],
    ['nordvpn.com', 'vpn'],
    ['www.nordvpn.com', 'vpn'],
    ['hidemyass.com', 'vpn'], // on both vpn and proxies: the earlier list wins
    ['mask.icloud.com', 'apple-private-relay'],
    ['icloud.com', null],
    ['use-application-dns.net', 'browsers'],
    ['www.torproject.org', 'tor'],
    ['whonix.org', 'linux'],
    ['google.com', null],
    ['dns.google.evil.net', null],
  ];
  for (const [name, kind] of cases) assert.equal(shipped.bypassKind(name), kind, name);
});

const sources = (over: Partial<CatalogSources> = {}): CatalogSources => ({
  services: {
    alpha: '# Alpha\n\nalpha.example\nALPHA-CDN.example.  # trailing comment\n  spaced.example  \n',
    beta: 'video.alpha.example\nbad_label-.example\nnot a name\nexa\u2011mple.com\n_srv._tcp.local\n',
    gamma: 'alpha.example\ngamma.example\n',
  },
  bypass: { vpn: 'vpn.example\n', proxies: 'vpn.example\nproxy.example\n' },
  taxonomy: {
    categories: [
      { id: 'one', name: 'One', services: ['alpha', 'beta'] },
      { id: 'two', name: 'Two', services: ['gamma'] },
    ],
    services: { alpha: 'Alpha', beta: 'Beta', gamma: 'Gamma' },
  },
  ...over,
});

test('data files: comments, blanks and case handled, invalid lines skipped with a warning, first listing wins', () => {
  const c = new Catalog(sources());
  assert.deepEqual(c.problems, []);
  assert.deepEqual(c.service('alpha')?.domains, ['alpha-cdn.example', 'alpha.example', 'spaced.example']);
  assert.deepEqual(c.service('beta')?.domains, ['_srv._tcp.local', 'video.alpha.example']);
  assert.deepEqual(
    c.warnings.filter((w) => w.includes('not a domain name')),
    [
      'services/beta:2: not a domain name: "bad_label-.example"',
      'services/beta:3: not a domain name: "not a name"',
      'services/beta:4: not a domain name: "exa\u2011mple.com"',
    ],
  );
  assert.ok(c.warnings.includes("services/gamma: alpha.example is already listed by 'alpha'"));
  assert.equal(c.serviceForDomain('alpha.example')?.id, 'alpha');
  assert.equal(c.serviceForDomain('x.video.alpha.example')?.id, 'beta', 'the longest suffix wins');
  assert.equal(c.serviceForDomain('www.alpha.example')?.id, 'alpha');
  assert.equal(c.bypassKind('a.vpn.example'), 'vpn');
  assert.equal(c.bypassKind('proxy.example'), 'proxies');
  assert.deepEqual(c.categories(), [
    { id: 'one', name: 'One', services: ['alpha', 'beta'] },
    { id: 'two', name: 'Two', services: ['gamma'] },
  ]);
  assert.deepEqual(
    c.services().map((s) => [s.id, s.name, s.category, s.domainCount]),
    [
      ['alpha', 'Alpha', 'one', 3],
      ['beta', 'Beta', 'one', 2],
      ['gamma', 'Gamma', 'two', 2],
    ],
  );
});

test('taxonomy problems are reported, not thrown', () => {
  const c = new Catalog(
    sources({
      taxonomy: {
        categories: [
          { id: 'one', name: 'One', services: ['alpha', 'ghost'] },
          { id: 'two', name: 'Two', services: ['alpha'] },
        ],
        services: { alpha: 'Alpha', gamma: 'Gamma', phantom: 'Phantom' },
      },
    }),
  );
  assert.deepEqual(c.problems.sort(), [
    "category 'one' lists service 'ghost', which has no file in services/",
    "display name for 'phantom', which has no file",
    "service 'alpha' is in categories 'one' and 'two'; keeping 'one'",
    "service 'beta' has no category in categories.json",
    "service 'beta' has no display name in categories.json",
    "service 'gamma' has no category in categories.json",
  ]);
  assert.equal(c.service('beta')?.name, 'beta', 'falls back to the id');
  assert.equal(c.categoryForDomain('gamma.example'), null);
});

test('names: validity and suffix walking', () => {
  assert.ok(isValidName('example', 'host'));
  assert.ok(isValidName('xn--bcher-kva.de', 'host'));
  assert.ok(!isValidName('_dmarc.example.com', 'host'));
  assert.ok(isValidName('_dmarc.example.com', 'dns'));
  for (const bad of [
    '',
    'a..b',
    '.a',
    '-a.com',
    'a-.com',
    'a b',
    'a'.repeat(64) + '.com',
    'x.'.repeat(127) + 'xx',
  ]) {
    assert.ok(!isValidName(bad, 'dns'), bad);
  }
  assert.deepEqual(suffixesOf('a.b.c'), ['a.b.c', 'b.c', 'c']);
  const map = new Map([
    ['b.c', 1],
    ['c', 2],
  ]);
  assert.deepEqual(longestSuffix(map, 'a.b.c'), { suffix: 'b.c', value: 1 });
  assert.deepEqual(longestSuffix(map, 'x.c'), { suffix: 'c', value: 2 });
  assert.equal(longestSuffix(map, 'ab.cd'), undefined);
});
