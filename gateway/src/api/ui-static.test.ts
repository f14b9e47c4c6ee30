import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { App } from './app.js';
import type { AppDeps } from './deps.js';
import { registerAccessControl } from './access-control.js';
import { registerErrorHandling } from './errors.js';
import { CACHE_IMMUTABLE, CACHE_NONE, UI_CSP, registerUi } from './ui-static.js';

let dir = '';
const INDEX = '<!doctype html><title>Packet Pilot</title><div id="app"></div>';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pp-ui-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), INDEX);
  await writeFile(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The root of the real app as far as the UI is concerned: the access hook, JSON errors, one API route. */
async function appWith(uiDir: string): Promise<{ app: App; registered: boolean }> {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  // public routes never reach the credential checks: empty stand-ins are enough
  registerAccessControl(app, {} as unknown as AppDeps);
  registerErrorHandling(app);
  app.get('/api/v1/health', { config: { access: 'public' } }, async () => ({ status: 'ok' }));
  const registered = await registerUi(app, uiDir);
  await app.ready(); // fails if a UI route had no access level
  return { app, registered };
}

test('index.html at / and for every page of the app, never cached, with a CSP', async () => {
  const { app, registered } = await appWith(dir);
  assert.equal(registered, true);
  for (const url of ['/', '/devices/3', '/login?next=%2Frules', '/admin/users']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.body, INDEX, url);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.equal(res.headers['cache-control'], CACHE_NONE, url);
    assert.equal(res.headers['content-security-policy'], UI_CSP);
    assert.equal(res.headers['x-frame-options'], 'DENY');
  }
  await app.close();
});

test('hashed assets are immutable; other files cached briefly; a missing file is a 404, not the page', async () => {
  const { app } = await appWith(dir);
  const js = await app.inject({ url: '/assets/index-AbC123.js' });
  assert.equal(js.statusCode, 200);
  assert.equal(js.body, 'console.log(1)');
  assert.equal(js.headers['cache-control'], CACHE_IMMUTABLE);
  assert.match(String(js.headers['content-type']), /javascript/);
  const icon = await app.inject({ url: '/favicon.svg' });
  assert.equal(icon.statusCode, 200);
  assert.equal(icon.headers['cache-control'], 'public, max-age=3600');
  const missing = await app.inject({ url: '/assets/index-Old999.js' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'PP_E_NOT_FOUND');
  await app.close();
});

test('the API keeps its JSON 404s and its routes; no escape from the folder', async () => {
  const { app } = await appWith(dir);
  const unknown = await app.inject({ url: '/api/v1/nope' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().error.code, 'PP_E_NOT_FOUND');
  assert.equal((await app.inject({ url: '/api' })).statusCode, 404);
  assert.deepEqual((await app.inject({ url: '/api/v1/health' })).json(), { status: 'ok' });
  // a file beside the UI folder must not be reachable through it
  const secret = join(dir, '..', `${dir.split('/').pop()}-secret.txt`);
  await writeFile(secret, 'secret');
  try {
    const name = secret.split('/').pop()!;
    for (const url of [`/..%2f${name}`, `/assets/..%2f..%2f${name}`, `/%2e%2e/${name}`]) {
      const res = await app.inject({ url });
      assert.notEqual(res.body, 'secret', url);
    }
  } finally {
    await rm(secret, { force: true });
  }
  // a POST to a page is not the page
  assert.equal((await app.inject({ method: 'POST', url: '/devices' })).statusCode, 404);
  await app.close();
});

test('without a built UI nothing is registered and the API still works', async () => {
  const { app, registered } = await appWith(join(dir, 'missing'));
  assert.equal(registered, false);
  assert.equal((await app.inject({ url: '/' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/api/v1/health' })).statusCode, 200);
  await app.close();
});
