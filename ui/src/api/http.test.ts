import { expect, test } from 'vitest';
import { ApiError, Http, queryString, readCookie } from './http';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(reply: () => Response, calls: Call[]): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return reply();
  }) as unknown as typeof fetch;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

test('readCookie finds one cookie among many and decodes it', () => {
  expect(readCookie('a=1; pp_csrf=abc%2Fdef; b=2', 'pp_csrf')).toBe('abc/def');
  expect(readCookie('pp_csrf_old=x', 'pp_csrf')).toBeNull();
  expect(readCookie('', 'pp_csrf')).toBeNull();
});

test('queryString skips empty values', () => {
  expect(queryString({ a: 1, b: undefined, c: '', d: false, e: 'x y' })).toBe('?a=1&d=false&e=x+y');
  expect(queryString({})).toBe('');
  expect(queryString(undefined)).toBe('');
});

test('mutations carry the CSRF cookie value; reads do not', async () => {
  const calls: Call[] = [];
  const http = new Http({
    fetch: fakeFetch(() => json(200, { ok: true }), calls),
    cookies: () => 'pp_csrf=tok123',
  });
  await http.get('/devices', { q: 'x' });
  await http.patch('/devices/1', { name: 'pc' });
  await http.delete('/rules/1');
  expect(calls[0]!.url).toBe('/api/v1/devices?q=x');
  expect((calls[0]!.init.headers as Record<string, string>)['x-csrf-token']).toBeUndefined();
  expect(calls[0]!.init.credentials).toBe('same-origin');
  expect((calls[1]!.init.headers as Record<string, string>)['x-csrf-token']).toBe('tok123');
  expect(calls[1]!.init.body).toBe('{"name":"pc"}');
  expect((calls[2]!.init.headers as Record<string, string>)['x-csrf-token']).toBe('tok123');
});

test('without the cookie the token of the login reply is used', async () => {
  const calls: Call[] = [];
  const http = new Http({ fetch: fakeFetch(() => json(201, {}), calls), cookies: () => '' });
  http.csrfFallback = 'fromlogin';
  await http.post('/rules', {});
  expect((calls[0]!.init.headers as Record<string, string>)['x-csrf-token']).toBe('fromlogin');
});

test('errors carry code and message; 401 calls the hook unless anonymous', async () => {
  let unauthorized = 0;
  const http = new Http({
    fetch: fakeFetch(() => json(401, { error: { code: 'PP_E_UNAUTHORIZED', message: 'log in first' } }), []),
    cookies: () => '',
  });
  http.onUnauthorized = () => unauthorized++;
  const err = await http.get('/auth/me').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe('PP_E_UNAUTHORIZED');
  expect((err as ApiError).status).toBe(401);
  expect(unauthorized).toBe(1);
  await http.post('/auth/login', {}, { anonymous: true }).catch(() => undefined);
  expect(unauthorized).toBe(1);
});

test('204 resolves to undefined; a non-JSON error keeps the status', async () => {
  const ok = new Http({ fetch: fakeFetch(() => new Response(null, { status: 204 }), []), cookies: () => '' });
  expect(await ok.delete('/rules/1')).toBeUndefined();
  const bad = new Http({
    fetch: fakeFetch(() => new Response('oops', { status: 502, statusText: 'Bad Gateway' }), []),
    cookies: () => '',
  });
  const err = (await bad.get('/x').catch((e: unknown) => e)) as ApiError;
  expect(err.status).toBe(502);
  expect(err.code).toBe('HTTP_502');
});

test('a network failure is an ApiError with status 0', async () => {
  const http = new Http({
    fetch: (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch,
    cookies: () => '',
  });
  const err = (await http.get('/x').catch((e: unknown) => e)) as ApiError;
  expect(err.status).toBe(0);
  expect(err.code).toBe('PP_E_NETWORK');
});
