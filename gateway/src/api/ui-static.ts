/**
 * The admin web UI (ui/dist, built by Vite) served at `/`, same origin as `/api/v1`:
 *
 *   - hashed files under assets/ are cached for a year (immutable): a new build has new names;
 *   - index.html is never cached, so a gateway update shows the new UI at the next load;
 *   - any other path without a file extension is a page of the single-page app: index.html;
 *   - /api/* never falls back to the UI: an unknown API path stays a JSON 404.
 *
 * The routes are public (the page itself holds no data; every API call it makes is checked).
 * Nothing is registered when the folder has no index.html, so an API-only build still starts.
 */
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { App } from './app.js';

/** ui/dist of this checkout, seen from gateway/dist/api/. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
export const CACHE_NONE = 'no-cache';
const CACHE_SHORT = 'public, max-age=3600';

/**
 * The page may load only its own scripts, talk only to its own origin (REST and the live
 * WebSocket), show images from itself or data: URLs (QR codes) and may not be framed. Inline
 * styles stay allowed: chart tooltips are built with them.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function cacheControlFor(file: string): string {
  if (file === 'index.html') return CACHE_NONE;
  if (file.startsWith('assets/')) return CACHE_IMMUTABLE;
  return CACHE_SHORT;
}

/** Registers the UI routes; false (and nothing registered) when `uiDistDir` has no built UI. */
export async function registerUi(app: App, uiDistDir: string): Promise<boolean> {
  if (!existsSync(join(uiDistDir, 'index.html'))) {
    app.log.info({ uiDistDir }, 'no built UI found; serving the API only');
    return false;
  }

  await app.register(async (ui) => {
    // Only the reply.sendFile decorator: the routes below decide what is served.
    await ui.register(fastifyStatic, { root: uiDistDir, serve: false });

    const send = (reply: FastifyReply, file: string) => {
      reply.header('cache-control', cacheControlFor(file));
      reply.header('x-content-type-options', 'nosniff');
      if (file === 'index.html') {
        reply.header('content-security-policy', UI_CSP);
        reply.header('referrer-policy', 'same-origin');
        reply.header('x-frame-options', 'DENY');
      }
      return reply.sendFile(file, { cacheControl: false });
    };
    const options = { config: { access: 'public' as const }, schema: { hide: true } };

    ui.get('/', options, (_request, reply) => send(reply, 'index.html'));
    ui.get('/*', options, (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      if (path === 'api' || path.startsWith('api/')) return reply.callNotFound();
      // a file (script, style, icon) is served as it is, or is a 404 — never the page instead
      if (extname(path)) return send(reply, path);
      return send(reply, 'index.html');
    });
  });
  return true;
}
